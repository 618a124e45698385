vcl 4.1;
# Varnish 7 in front of `syndicate serve`, with the xkey vmod (Debian: varnish-modules).
#
# Syndicate tags every feed, card and share response with Surrogate-Key and asks Varnish to keep
# it for Surrogate-Control's max-age (a day by default); when a feed or card changes, a worker
# sends PURGE with an `xkey-purge` header naming the keys, before any WebSub hub hears of the
# change. Configure the cache in Syndicate's site file:
#
#   [[caches]]
#   name = "varnish"
#   kind = "varnish"
#   url = "http://127.0.0.1:6081"   # where this Varnish listens for PURGE
#
# Run: varnishd -a 127.0.0.1:6081 -f /etc/varnish/syndicate.vcl -s malloc,256m

import std;
import xkey;

backend syndicate {
    .host = "127.0.0.1";  # CHANGE: where `syndicate serve` listens
    .port = "8000";
    .probe = { .url = "/healthz"; .interval = 5s; .timeout = 2s; .window = 5; .threshold = 3; }
}

# Who may purge: Syndicate's workers. CHANGE if they run on other machines.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "An xkey-purge header names the keys to purge"));
        }
        # Soft purge: the objects go stale at once; the next request fetches a fresh copy.
        set req.http.x-purged = xkey.softpurge(req.http.xkey-purge);
        return (synth(200, "Purged " + req.http.x-purged));
    }
    # A stale object is served only while Syndicate is down (grace), never while it is up:
    # a reader, or a WebSub hub fetching a feed it was just told of, gets the current copy.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 0s;
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/(feeds|cards|share|sitemaps)/" || req.url ~ "^/feeds$") {
        # Public bytes, the same for everyone: no cookie or credentials make them differ.
        unset req.http.Cookie;
        unset req.http.Authorization;
        # A reader that takes no gzip gets a copy of its own, fetched plain, rather than the
        # gzipped one uncompressed again for every request.
        if (req.http.Accept-Encoding !~ "gzip") {
            set req.http.x-plain = "1";
        }
        return (hash);
    }
    return (pass);
}

sub vcl_hash {
    if (req.http.x-plain) {
        hash_data("plain");
    }
}

sub vcl_backend_fetch {
    if (bereq.http.x-plain) {
        unset bereq.http.Accept-Encoding;
    }
    unset bereq.http.x-plain;
}

sub vcl_backend_response {
    # An error (a feed not built yet, say) is never kept: no key would purge it.
    if (beresp.status >= 400) {
        set beresp.uncacheable = true;
        set beresp.ttl = 0s;
        return (deliver);
    }
    if (beresp.http.Surrogate-Control ~ "max-age=[0-9]+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control, ".*max-age=([0-9]+).*", "\1s"), 0s);
    }
    # The keys xkey indexes the object under.
    if (beresp.http.Surrogate-Key) {
        set beresp.http.xkey = beresp.http.Surrogate-Key;
    }
    # What is meant for caches stays with them (readers get Cache-Control): dropped once,
    # before the object is stored, rather than from every response.
    unset beresp.http.Surrogate-Key;
    unset beresp.http.Surrogate-Control;
    unset beresp.http.Cache-Tag;
    unset beresp.http.CDN-Cache-Control;
    set beresp.grace = 6h;
}

sub vcl_deliver {
    unset resp.http.xkey;
}
