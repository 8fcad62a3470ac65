# src/git: the zone repository (libgit2)
