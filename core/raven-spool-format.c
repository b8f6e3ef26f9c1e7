/* raven-spool-format.c: a spool file: envelope records, then the message.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-spool-format.h"

#include <stdlib.h>
#include <string.h>

#define MAGIC "RAVEN-SPOOL 1\n"

static void
put(GByteArray *out, const char *key, const char *value, gsize len)
{
	char head[64];
	int n = g_snprintf(head, sizeof head, "%s %" G_GSIZE_FORMAT "\n", key,
	                   len);

	g_byte_array_append(out, (const guint8 *)head, n);
	g_byte_array_append(out, (const guint8 *)value, len);
	g_byte_array_append(out, (const guint8 *)"\n", 1);
}

static void
put_str(GByteArray *out, const char *key, const char *value)
{
	if (value != NULL)
		put(out, key, value, strlen(value));
}

static void
put_num(GByteArray *out, const char *key, double value)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	put_str(out, key, g_ascii_dtostr(buf, sizeof buf, value));
}

void
raven_spool_format_write(GByteArray *out,
                         const RavenEnvelope *env,
                         GBytes *message)
{
	gsize len;
	const guint8 *data = g_bytes_get_data(message, &len);
	char head[64];
	int n;

	g_byte_array_append(out, (const guint8 *)MAGIC, strlen(MAGIC));
	put_str(out, "sender", env->sender ? env->sender : "");
	for (guint i = 0; i < env->n_recipients; i++) {
		const RavenRecipient *r = &env->recipients[i];

		put_str(out, "rcpt", r->address);
		put_str(out, "orcpt", r->orcpt);
		if (r->notify)
			put_num(out, "notify", r->notify);
	}
	put_str(out, "envid", env->envid);
	if (env->ret_full)
		put_str(out, "ret", "full");
	put_str(out, "client", env->client_address);
	put_str(out, "client_name", env->client_name);
	put_str(out, "helo", env->helo);
	put_str(out, "protocol", env->protocol);
	put_str(out, "auth_user", env->auth_user);
	if (env->junk)
		put_str(out, "junk", "1");
	put_num(out, "score", env->score);
	if (env->body_8bit)
		put_str(out, "8bit", "1");
	if (env->smtputf8)
		put_str(out, "smtputf8", "1");
	n = g_snprintf(head, sizeof head, "data %" G_GSIZE_FORMAT "\n", len);
	g_byte_array_append(out, (const guint8 *)head, n);
	g_byte_array_append(out, data, len);
}

/* ---- reading */

typedef struct {
	const guint8 *data;
	gsize len;
	gsize pos;
} Reader;

static gboolean
corrupt(GError **error, const Reader *r, const char *what)
{
	g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
	            "not a spool file: %s at byte %" G_GSIZE_FORMAT, what,
	            r->pos);
	return FALSE;
}

/* "KEY LENGTH\n": the key into `key` (at most 31 bytes). */
static gboolean
read_head(Reader *r, char key[32], gsize *length, GError **error)
{
	const guint8 *nl
		= memchr(r->data + r->pos, '\n', MIN(r->len - r->pos, 64));
	const char *sp;
	char line[64];
	char *end;
	gsize n;
	guint64 value;

	if (nl == NULL)
		return corrupt(error, r, "a record head is missing");
	n = nl - (r->data + r->pos);
	memcpy(line, r->data + r->pos, n);
	line[n] = '\0';
	sp = strchr(line, ' ');
	if (sp == NULL || sp == line || sp - line > 31)
		return corrupt(error, r, "a bad record head");
	memcpy(key, line, sp - line);
	key[sp - line] = '\0';
	if (!g_ascii_isdigit(sp[1]))
		return corrupt(error, r, "a bad record length");
	value = g_ascii_strtoull(sp + 1, &end, 10);
	if (*end != '\0' || value > G_MAXSIZE)
		return corrupt(error, r, "a bad record length");
	*length = value;
	r->pos += n + 1;
	return TRUE;
}

static const char *
keep(RavenSpoolEntry *e, const guint8 *data, gsize len)
{
	char *copy = g_strndup((const char *)data, len);

	g_ptr_array_add(e->strings, copy);
	return copy;
}

static RavenRecipient *
last_recipient(RavenSpoolEntry *e)
{
	if (e->recipients->len == 0)
		return NULL;
	return &g_array_index(e->recipients, RavenRecipient,
	                      e->recipients->len - 1);
}

/* Apply one envelope record; FALSE when the key is not known. */
static gboolean
apply(RavenSpoolEntry *e, const char *key, const char *value)
{
	RavenEnvelope *env = &e->envelope;
	RavenRecipient *last = last_recipient(e);

	if (strcmp(key, "rcpt") == 0) {
		RavenRecipient r = { sizeof r, value, NULL, 0 };

		g_array_append_val(e->recipients, r);
	} else if (strcmp(key, "orcpt") == 0 && last)
		last->orcpt = value;
	else if (strcmp(key, "notify") == 0 && last)
		last->notify = (guint)g_ascii_strtoull(value, NULL, 10);
	else if (strcmp(key, "sender") == 0)
		env->sender = value;
	else if (strcmp(key, "envid") == 0)
		env->envid = value;
	else if (strcmp(key, "ret") == 0)
		env->ret_full = strcmp(value, "full") == 0;
	else if (strcmp(key, "client") == 0)
		env->client_address = value;
	else if (strcmp(key, "client_name") == 0)
		env->client_name = value;
	else if (strcmp(key, "helo") == 0)
		env->helo = value;
	else if (strcmp(key, "protocol") == 0)
		env->protocol = value;
	else if (strcmp(key, "auth_user") == 0)
		env->auth_user = value;
	else if (strcmp(key, "junk") == 0)
		env->junk = TRUE;
	else if (strcmp(key, "score") == 0)
		env->score = g_ascii_strtod(value, NULL);
	else if (strcmp(key, "8bit") == 0)
		env->body_8bit = TRUE;
	else if (strcmp(key, "smtputf8") == 0)
		env->smtputf8 = TRUE;
	else
		return FALSE;
	return TRUE;
}

static gboolean
read_records(RavenSpoolEntry *e, Reader *r, GError **error)
{
	for (;;) {
		char key[32];
		gsize len;

		if (!read_head(r, key, &len, error))
			return FALSE;
		if (strcmp(key, "data") == 0) {
			if (len != r->len - r->pos)
				return corrupt(error, r, "a truncated message");
			e->message
				= g_bytes_new_from_bytes(e->file, r->pos, len);
			return TRUE;
		}
		if (len > RAVEN_SPOOL_MAX_VALUE || len + 1 > r->len - r->pos
		    || r->data[r->pos + len] != '\n')
			return corrupt(error, r, "a truncated record");
		if (e->recipients->len >= RAVEN_SPOOL_MAX_RECIPIENTS
		    || !apply(e, key, keep(e, r->data + r->pos, len)))
			return corrupt(error, r, "an unknown record");
		r->pos += len + 1;
	}
}

RavenSpoolEntry *
raven_spool_format_read(GBytes *file, GError **error)
{
	RavenSpoolEntry *e = g_new0(RavenSpoolEntry, 1);
	Reader r = { 0 };

	r.data = g_bytes_get_data(file, &r.len);
	e->file = g_bytes_ref(file);
	e->recipients = g_array_new(FALSE, TRUE, sizeof(RavenRecipient));
	e->strings = g_ptr_array_new_with_free_func(g_free);
	e->envelope.size = sizeof e->envelope;
	if (r.len < strlen(MAGIC)
	    || memcmp(r.data, MAGIC, strlen(MAGIC)) != 0) {
		corrupt(error, &r, "no RAVEN-SPOOL 1 magic");
		raven_spool_entry_free(e);
		return NULL;
	}
	r.pos = strlen(MAGIC);
	if (!read_records(e, &r, error) || e->envelope.sender == NULL
	    || e->recipients->len == 0) {
		if (error && *error == NULL)
			corrupt(error, &r, "no sender or no recipient");
		raven_spool_entry_free(e);
		return NULL;
	}
	e->envelope.recipients = (const RavenRecipient *)e->recipients->data;
	e->envelope.n_recipients = e->recipients->len;
	return e;
}

void
raven_spool_entry_free(RavenSpoolEntry *e)
{
	if (e == NULL)
		return;
	g_clear_pointer(&e->message, g_bytes_unref);
	g_bytes_unref(e->file);
	g_array_unref(e->recipients);
	g_ptr_array_unref(e->strings);
	g_free(e);
}
