"""Kite: Kestra flows, run serverless on AWS."""
