"""Readers and writers for netplan and external network file formats."""
