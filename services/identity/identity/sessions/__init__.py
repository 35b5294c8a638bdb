"""Sessions: the OAuth2 token endpoint (password, refresh_token rotated with reuse detection, client_credentials
for PJAP and internal clients, token exchange to act for a taxpayer), the JWKS, and password reset."""
