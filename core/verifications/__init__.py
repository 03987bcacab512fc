"""Verifications: how a person proves who they are, and what a component's actions require of them.

An authorization handler (``handlers.AuthorizationHandler``, registered through the
``register_authorization_handlers`` hook) is one way of proving it; core ships the census and the
review of an identity document. A granted ``Verification`` keeps a keyed digest of the identity, so
one identity verifies one account of an organization, even after that account is deleted. Space
admins require handlers (with conditions) per component and action, and staff at a municipal desk
act on behalf of managed participants (``managed``, ``acting``). docs/verifications.md tells the rest.
"""
