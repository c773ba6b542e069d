"""Certificates of authenticity as W3C Verifiable Credentials secured with eddsa-jcs-2022."""
