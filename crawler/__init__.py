"""Every byte that crosses the network: the httpx client, robots.txt,
per-host politeness, retries, size caps and the private-address guard."""
