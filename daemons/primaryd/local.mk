# daemons/primaryd: timbre-primaryd
