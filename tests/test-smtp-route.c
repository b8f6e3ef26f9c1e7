/* test-smtp-route.c: where the outbound client connects: next-hop
 * strings of `routes`, and MX records in order (RFC 5321 5.1, RFC 7505).
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "smtp-route.h"

#include <gio/gio.h>
#include <string.h>

static void
test_next_hop(void)
{
	static const struct {
		const char *text;
		const char *host; /* NULL: refused */
		guint16 port;
	} cases[] = {
		{ "mx.remote.test", "mx.remote.test", 0 },
		{ "mx.remote.test:2626", "mx.remote.test", 2626 },
		{ "127.0.0.1:2626", "127.0.0.1", 2626 },
		{ "[127.0.0.1]:2626", "127.0.0.1", 2626 },
		{ "[127.0.0.1]", "127.0.0.1", 0 },
		{ "[2001:db8::1]:25", "2001:db8::1", 25 },
		{ "2001:db8::1", NULL, 0 },
		{ "[2001:db8::1", NULL, 0 },
		{ "[2001:db8::1]x", NULL, 0 },
		{ "[mx.remote.test]:25", NULL, 0 },
		{ "mx.remote.test:0", NULL, 0 },
		{ "mx.remote.test:65536", NULL, 0 },
		{ "mx.remote.test:", NULL, 0 },
		{ "mx.remote.test:25x", NULL, 0 },
		{ "", NULL, 0 },
		{ ":25", NULL, 0 },
		{ "mx remote", NULL, 0 },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		SmtpNextHop hop;
		gboolean ok = smtp_next_hop_parse(cases[i].text, &hop, &error);

		g_test_message("next hop '%s'", cases[i].text);
		if (cases[i].host == NULL) {
			g_assert_false(ok);
			g_assert_error(error, G_IO_ERROR,
			               G_IO_ERROR_INVALID_ARGUMENT);
			continue;
		}
		g_assert_no_error(error);
		g_assert_cmpstr(hop.host, ==, cases[i].host);
		g_assert_cmpuint(hop.port, ==, cases[i].port);
		smtp_next_hop_clear(&hop);
	}
}

static GList *
mx_records(const char *const *records)
{
	GList *list = NULL;

	/* "PREFERENCE NAME" */
	for (guint i = 0; records[i] != NULL; i++) {
		g_auto(GStrv) parts = g_strsplit(records[i], " ", 2);

		list = g_list_append(list,
		                     g_variant_ref_sink(g_variant_new(
					     "(qs)", (guint16)atoi(parts[0]),
					     parts[1] ? parts[1] : "")));
	}
	return list;
}

static SmtpMxChoice
mx_order(const char *const *records, GRand *rand, char **order)
{
	GList *list = mx_records(records);
	g_auto(GStrv) names = NULL;
	SmtpMxChoice choice = smtp_mx_order(list, rand, &names);

	g_list_free_full(list, (GDestroyNotify)g_variant_unref);
	*order = names ? g_strjoinv(" ", names) : NULL;
	return choice;
}

static void
test_mx_order(void)
{
	static const char *const sorted[]
		= { "20 mx2.remote.test", "10 mx1.remote.test",
		    "10 mx1b.remote.test", "30 mx3.remote.test", NULL };
	static const char *const null_mx[] = { "0 .", NULL };
	static const char *const null_mx_empty[] = { "0", NULL };
	static const char *const mixed[] = { "0 .", "10 mx.remote.test", NULL };
	static const char *const none[] = { NULL };
	g_autoptr(GRand) rand = g_rand_new_with_seed(1);
	char *order = NULL;
	gboolean seen[2] = { FALSE, FALSE };

	g_assert_cmpint(mx_order(sorted, NULL, &order), ==, SMTP_MX_HOSTS);
	g_assert_cmpstr(order, ==,
	                "mx1.remote.test mx1b.remote.test mx2.remote.test "
	                "mx3.remote.test");
	g_clear_pointer(&order, g_free);
	g_assert_cmpint(mx_order(null_mx, NULL, &order), ==, SMTP_MX_NULL);
	g_assert_null(order);
	g_assert_cmpint(mx_order(null_mx_empty, NULL, &order), ==,
	                SMTP_MX_NULL);
	g_assert_cmpint(mx_order(none, NULL, &order), ==, SMTP_MX_NONE);
	g_assert_null(order);
	/* A null MX beside others is no host, and no null MX either */
	g_assert_cmpint(mx_order(mixed, NULL, &order), ==, SMTP_MX_HOSTS);
	g_assert_cmpstr(order, ==, "mx.remote.test");
	g_clear_pointer(&order, g_free);
	/* Equal preferences come in either order, the others stay put */
	for (guint i = 0; i < 64 && !(seen[0] && seen[1]); i++) {
		g_assert_cmpint(mx_order(sorted, rand, &order), ==,
		                SMTP_MX_HOSTS);
		g_assert_true(g_str_has_suffix(
			order, " mx2.remote.test mx3.remote.test"));
		seen[g_str_has_prefix(order, "mx1b")] = TRUE;
		g_clear_pointer(&order, g_free);
	}
	g_assert_true(seen[0] && seen[1]);
}

static void
test_mx_drop_self(void)
{
	g_auto(GStrv) three
		= g_strsplit("a.test mx.example.test c.test", " ", -1);
	g_auto(GStrv) first = g_strsplit("MX.Example.test b.test", " ", -1);
	g_auto(GStrv) other = g_strsplit("a.test b.test", " ", -1);

	/* ours and everything less preferred go */
	g_assert_cmpuint(smtp_mx_drop_self(three, "mx.example.test"), ==, 1);
	g_assert_cmpstr(three[0], ==, "a.test");
	g_assert_null(three[1]);
	g_assert_cmpuint(smtp_mx_drop_self(first, "mx.example.test"), ==, 0);
	g_assert_null(first[0]);
	g_assert_cmpuint(smtp_mx_drop_self(other, "mx.example.test"), ==, 2);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/smtp/route/next-hop", test_next_hop);
	g_test_add_func("/smtp/route/mx-order", test_mx_order);
	g_test_add_func("/smtp/route/mx-drop-self", test_mx_drop_self);
	return g_test_run();
}
