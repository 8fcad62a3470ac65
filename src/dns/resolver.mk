# src/dns: the resolver's engine (iterative resolution, cache, DNSSEC validation)
