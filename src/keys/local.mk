# src/keys
