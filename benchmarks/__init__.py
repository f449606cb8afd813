"""The asv suite of attnbench (see asv.conf.json and the README's "Continuous benchmarking")."""
