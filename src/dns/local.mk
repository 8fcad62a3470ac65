# src/dns
