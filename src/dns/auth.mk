# src/dns: the authoritative side (zones, TSIG, UPDATE, NOTIFY, transfers)
