"""Accounts as users meet them: sign-in, their own tokens, and the audit for admins."""
