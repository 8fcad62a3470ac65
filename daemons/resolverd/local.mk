# daemons/resolverd: timbre-resolverd
