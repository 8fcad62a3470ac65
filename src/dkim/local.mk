# src/dkim
