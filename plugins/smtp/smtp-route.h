/* smtp-route.h: where the outbound client connects: next hops from the
 * config and the order of MX hosts.
 * SPDX-License-Identifier: MIT
 *
 * Pure functions over text and resolved records, no DNS, so the unit test
 * drives them directly.
 */
#ifndef SMTP_ROUTE_H
#define SMTP_ROUTE_H

#include <glib.h>

G_BEGIN_DECLS

/* A next hop from the `routes` config: "host", "host:port", "[ip]",
 * "[ip]:port", "[ipv6]:port".  `host` has no brackets; `port` is 0 when not
 * given. */
typedef struct {
	char *host;
	guint16 port;
} SmtpNextHop;

/* FALSE with a G_IO_ERROR_INVALID_ARGUMENT `error` when `text` is none. */
gboolean
smtp_next_hop_parse(const char *text, SmtpNextHop *hop, GError **error);
void smtp_next_hop_clear(SmtpNextHop *hop);

typedef enum {
	SMTP_MX_HOSTS = 0, /* names to try, in order */
	SMTP_MX_NONE,      /* no record: the domain's own A/AAAA */
	SMTP_MX_NULL,      /* RFC 7505 null MX: the domain takes no mail */
} SmtpMxChoice;

/* The MX records of g_resolver_lookup_records(G_RESOLVER_RECORD_MX)
 * (GVariant "(qs)" items) in the order to try them: by preference, equal
 * preferences shuffled with `rand` as RFC 5321 5.1 asks (nullable: kept in
 * the given order, for tests).  `names` gets the host names (transfer
 * full, NULL-terminated) with SMTP_MX_HOSTS, else NULL. */
SmtpMxChoice smtp_mx_order(GList *records, GRand *rand, char ***names);

/* RFC 5321 5.1: where this server (`self`, its host name) is among the MX
 * hosts in order, it and every host after it are dropped, or mail would
 * loop.  Returns how many are left. */
guint smtp_mx_drop_self(char **names, const char *self);

G_END_DECLS

#endif /* SMTP_ROUTE_H */
