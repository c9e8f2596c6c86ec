"""Counselor-portal pages: one module per area. Views parse input, call one service or query, render."""
