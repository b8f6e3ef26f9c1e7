/* smtp-route.c: where the outbound client connects: next hops from the
 * config and the order of MX hosts.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "smtp-route.h"

#include <gio/gio.h>
#include <string.h>

static gboolean
host_name_ok(const char *host)
{
	if (host[0] == '\0' || strlen(host) > 255)
		return FALSE;
	for (const char *p = host; *p != '\0'; p++)
		if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.' && *p != '_')
			return FALSE;
	return TRUE;
}

gboolean
smtp_next_hop_parse(const char *text, SmtpNextHop *hop, GError **error)
{
	g_autofree char *host = NULL;
	const char *port = NULL;
	guint64 number = 0;

	memset(hop, 0, sizeof *hop);
	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (end != NULL && (end[1] == '\0' || end[1] == ':')) {
			host = g_strndup(text + 1, (gsize)(end - text - 1));
			port = end[1] == ':' ? end + 2 : NULL;
		}
		if (host != NULL && !g_hostname_is_ip_address(host))
			g_clear_pointer(&host, g_free);
	} else {
		const char *colon = strrchr(text, ':');

		host = colon ? g_strndup(text, (gsize)(colon - text))
		             : g_strdup(text);
		port = colon ? colon + 1 : NULL;
		if (!host_name_ok(host))
			g_clear_pointer(&host, g_free);
	}
	if (host == NULL
	    || (port != NULL
	        && !g_ascii_string_to_unsigned(port, 10, 1, G_MAXUINT16,
	                                       &number, NULL))) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		            "'%s' is not a next hop: HOST, HOST:PORT or "
		            "[ADDRESS]:PORT",
		            text);
		return FALSE;
	}
	hop->host = g_steal_pointer(&host);
	hop->port = (guint16)number;
	return TRUE;
}

void
smtp_next_hop_clear(SmtpNextHop *hop)
{
	g_clear_pointer(&hop->host, g_free);
	hop->port = 0;
}

typedef struct {
	guint16 preference;
	guint32 tie; /* breaks ties between equal preferences */
	const char *name;
} MxEntry;

static int
mx_compare(gconstpointer a, gconstpointer b)
{
	const MxEntry *x = a, *y = b;

	if (x->preference != y->preference)
		return x->preference < y->preference ? -1 : 1;
	return x->tie < y->tie ? -1 : x->tie > y->tie;
}

SmtpMxChoice
smtp_mx_order(GList *records, GRand *rand, char ***names)
{
	g_autoptr(GArray) mx = g_array_new(FALSE, FALSE, sizeof(MxEntry));
	guint n_records = 0;

	*names = NULL;
	for (GList *l = records; l != NULL; l = l->next) {
		MxEntry e;

		if (!g_variant_is_of_type(l->data, G_VARIANT_TYPE("(qs)")))
			continue;
		g_variant_get(l->data, "(q&s)", &e.preference, &e.name);
		n_records++;
		/* The root as target is RFC 7505's null MX: no host. */
		if (e.name[0] == '\0' || g_str_equal(e.name, "."))
			continue;
		e.tie = rand != NULL ? g_rand_int(rand) : mx->len;
		g_array_append_val(mx, e);
	}
	if (mx->len == 0)
		return n_records > 0 ? SMTP_MX_NULL : SMTP_MX_NONE;
	g_array_sort(mx, mx_compare);
	*names = g_new0(char *, mx->len + 1);
	for (guint i = 0; i < mx->len; i++)
		(*names)[i] = g_strdup(g_array_index(mx, MxEntry, i).name);
	return SMTP_MX_HOSTS;
}

guint
smtp_mx_drop_self(char **names, const char *self)
{
	guint n = 0;

	while (names[n] && g_ascii_strcasecmp(names[n], self) != 0)
		n++;
	for (guint i = n; names[i]; i++)
		g_clear_pointer(&names[i], g_free);
	return n;
}
