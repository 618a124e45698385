"""Connecting accounts from the app: each platform's way of handing over credentials (an OAuth
consent page, an app password, a bot token, a webhook address), checked against the platform
before the channel is stored."""
