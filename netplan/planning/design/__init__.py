"""Network-design MILPs on arrays, and SNDlib instances solved with them."""
