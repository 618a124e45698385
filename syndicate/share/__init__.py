"""Share buttons for readers: intent links composed like the team's own posts, counted
without keeping anything about the reader."""
