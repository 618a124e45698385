"""The FastAPI app: webhooks in, feeds and cards out, and the review API."""
