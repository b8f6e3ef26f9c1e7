/* maildir-path.c: where things are: user roots, folder directory names
 * (Maildir++) and message file names (Maildir).
 * SPDX-License-Identifier: MIT
 *
 * A folder "Foo/Bar" lives in ROOT/.Foo.Bar/.  Characters a Maildir++ name
 * cannot hold are escaped as Dovecot's listescape plugin does it: '.' is
 * "\2e", '\' is "\5c" and a leading '~' is "\7e".  Names are stored as given
 * (the IMAP layer converts modified UTF-7); control characters and invalid
 * UTF-8 are refused.
 */
#include "config.h"

#include "maildir.h"

#include <string.h>
#include <unistd.h>

/* A folder's directory name must fit NAME_MAX with room to spare. */
#define MAX_DIRNAME 200
/* Longer sanitised keys are replaced by their SHA-256. */
#define MAX_KEY_UNIQUE 80
/* A key may start with hex digits of microseconds: a time in seconds. */
#define KEY_TIME_MIN_DIGITS 12
#define KEY_TIME_MAX_DIGITS 14
#define KEY_TIME_FROM G_GUINT64_CONSTANT(1000000000)
#define KEY_TIME_UNTIL G_GUINT64_CONSTANT(10000000000)

const char *const maildir_special_folders[] = {
	"Drafts", "Sent", "Junk", "Trash", "Archive", NULL,
};

static const char *const special_uses[] = {
	"\\Drafts", "\\Sent", "\\Junk", "\\Trash", "\\Archive",
};

static const struct {
	guint flag;
	char letter;
} flag_letters[] = {
	{ RAVEN_FLAG_SEEN, 'S' },    { RAVEN_FLAG_ANSWERED, 'R' },
	{ RAVEN_FLAG_FLAGGED, 'F' }, { RAVEN_FLAG_DELETED, 'T' },
	{ RAVEN_FLAG_DRAFT, 'D' },
};

const char *
maildir_special_use(const char *folder)
{
	for (guint i = 0; maildir_special_folders[i]; i++) {
		if (strcmp(folder, maildir_special_folders[i]) == 0)
			return special_uses[i];
	}
	return NULL;
}

static gboolean
has_control(const char *s)
{
	for (; *s; s++) {
		if ((guchar)*s < 0x20 || *s == 0x7f)
			return TRUE;
	}
	return FALSE;
}

static gboolean
user_part_ok(const char *part)
{
	return *part != '\0' && *part != '.' && strchr(part, '/') == NULL
	       && !has_control(part);
}

gboolean
maildir_user_root(const char *data_dir,
                  const char *user,
                  char **root,
                  GError **error)
{
	const char *at = user ? strrchr(user, '@') : NULL;
	g_autofree char *local = NULL;
	g_autofree char *domain = NULL;

	if (data_dir == NULL) {
		g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_IO,
		            "no data_dir to keep mail in");
		return FALSE;
	}
	if (at == NULL || !g_utf8_validate(user, -1, NULL)) {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_INVALID,
		            "user '%s' is not an address (local@domain)",
		            user ? user : "(null)");
		return FALSE;
	}
	local = g_strndup(user, at - user);
	domain = g_ascii_strdown(at + 1, -1);
	if (!user_part_ok(local) || !user_part_ok(domain)) {
		g_set_error(error, RAVEN_STORAGE_ERROR,
		            RAVEN_STORAGE_ERROR_INVALID,
		            "user '%s' cannot name a mail folder", user);
		return FALSE;
	}
	*root = g_build_filename(data_dir, "mail", domain, local, NULL);
	return TRUE;
}

static void
escape_level(GString *out, const char *level)
{
	for (const char *p = level; *p; p++) {
		if (*p == '.' || *p == '\\' || (p == level && *p == '~'))
			g_string_append_printf(out, "\\%02x", (guchar)*p);
		else
			g_string_append_c(out, *p);
	}
}

static gboolean
invalid_name(GError **error, const char *folder, const char *why)
{
	g_set_error(error, RAVEN_STORAGE_ERROR, RAVEN_STORAGE_ERROR_INVALID,
	            "folder name '%s' is not valid: %s", folder, why);
	return FALSE;
}

gboolean
maildir_folder_dirname(const char *folder,
                       char **dirname,
                       char **canonical,
                       GError **error)
{
	g_auto(GStrv) levels = NULL;
	g_autoptr(GString) dir = g_string_new(NULL);

	if (folder == NULL || *folder == '\0')
		return invalid_name(error, "", "it is empty");
	if (!g_utf8_validate(folder, -1, NULL) || has_control(folder))
		return invalid_name(error, folder,
		                    "control or non-UTF-8 bytes");
	levels = g_strsplit(folder, "/", -1);
	if (g_ascii_strcasecmp(levels[0], "INBOX") == 0) {
		g_free(levels[0]);
		levels[0] = g_strdup("INBOX");
	}
	for (guint i = 0; levels[i]; i++) {
		if (*levels[i] == '\0')
			return invalid_name(error, folder, "an empty level");
		g_string_append_c(dir, '.');
		escape_level(dir, levels[i]);
	}
	if (dir->len > MAX_DIRNAME)
		return invalid_name(error, folder, "it is too long");
	*canonical = g_strjoinv("/", levels);
	if (strcmp(*canonical, "INBOX") == 0)
		g_string_truncate(dir, 0);
	*dirname = g_strdup(dir->str);
	return TRUE;
}

static char *
unescape_level(const char *level)
{
	GString *out = g_string_new(NULL);

	for (const char *p = level; *p; p++) {
		if (*p == '\\' && g_ascii_isxdigit(p[1])
		    && g_ascii_isxdigit(p[2])) {
			g_string_append_c(out,
			                  (char)(g_ascii_xdigit_value(p[1]) * 16
			                         + g_ascii_xdigit_value(p[2])));
			p += 2;
		} else {
			g_string_append_c(out, *p);
		}
	}
	return g_string_free(out, FALSE);
}

char *
maildir_folder_name_from_dir(const char *dirname)
{
	g_auto(GStrv) levels = NULL;
	g_autofree char *name = NULL;
	g_autofree char *again = NULL;
	g_autofree char *canonical = NULL;

	if (dirname[0] != '.' || dirname[1] == '\0')
		return NULL;
	levels = g_strsplit(dirname + 1, ".", -1);
	for (guint i = 0; levels[i]; i++) {
		char *plain = unescape_level(levels[i]);

		g_free(levels[i]);
		levels[i] = plain;
	}
	name = g_strjoinv("/", levels);
	/* Only names that map back to this very directory are folders. */
	if (!maildir_folder_dirname(name, &again, &canonical, NULL))
		return NULL;
	if (strcmp(again, dirname) != 0)
		return NULL;
	return g_steal_pointer(&canonical);
}

char *
maildir_folder_renamed(const char *name, const char *from, const char *to)
{
	gsize len = strlen(from);

	if (strcmp(name, from) == 0)
		return g_strdup(to);
	if (strncmp(name, from, len) == 0 && name[len] == '/')
		return g_strconcat(to, name + len, NULL);
	return NULL;
}

static char *
sanitise_host(const char *host)
{
	GString *out = g_string_new(NULL);

	for (const char *p = host; *p; p++) {
		if (*p == '/' || *p == ':' || *p == ',' || (guchar)*p < 0x20)
			g_string_append_printf(out, "\\%03o", (guchar)*p);
		else
			g_string_append_c(out, *p);
	}
	if (out->len == 0)
		g_string_append(out, "localhost");
	return g_string_free(out, FALSE);
}

char *
maildir_unique_from_key(const char *key)
{
	GString *out = g_string_new("R");

	for (const char *p = key; *p; p++) {
		if (g_ascii_isalnum(*p) || *p == '-')
			g_string_append_c(out, *p);
		else
			g_string_append_printf(out, "_%02X", (guchar)*p);
	}
	if (out->len > MAX_KEY_UNIQUE) {
		char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256,
		                                           key, -1);
		char *unique = g_strconcat("K", hash, NULL);

		g_free(hash);
		g_string_free(out, TRUE);
		return unique;
	}
	return g_string_free(out, FALSE);
}

/* The seconds of a key's leading hex digits of microseconds since the
 * epoch (the core's queue ids: "%012X" of the time, 13 digits these
 * days), the shortest run of at least 12 that reads as a time in
 * 2001..2286; else 0.  Never the current time, so a retry finds the name
 * again. */
static gint64
key_time(const char *key)
{
	guint64 usec = 0;

	for (guint i = 0; i < KEY_TIME_MAX_DIGITS; i++) {
		guint64 seconds;

		if (!g_ascii_isxdigit(key[i]))
			return 0;
		usec = usec * 16 + (guint)g_ascii_xdigit_value(key[i]);
		seconds = usec / G_USEC_PER_SEC;
		if (i + 1 >= KEY_TIME_MIN_DIGITS && seconds >= KEY_TIME_FROM
		    && seconds < KEY_TIME_UNTIL)
			return (gint64)seconds;
	}
	return 0;
}

char *
maildir_name_new(const char *key, gsize size, const char *hostname)
{
	static gint deliveries;
	gint64 now = g_get_real_time();
	gint64 time = now / G_USEC_PER_SEC;
	g_autofree char *unique = NULL;
	g_autofree char *host
		= sanitise_host(hostname ? hostname : g_get_host_name());

	if (key != NULL) {
		unique = maildir_unique_from_key(key);
		time = key_time(key);
	} else {
		unique = g_strdup_printf(
			"M%06uP%dQ%u", (guint)(now % G_USEC_PER_SEC),
			(int)getpid(),
			(guint)g_atomic_int_add(&deliveries, 1) + 1);
	}
	return g_strdup_printf("%" G_GINT64_FORMAT ".%s.%s,S=%" G_GSIZE_FORMAT,
	                       time, unique, host, size);
}

gboolean
maildir_name_has_unique(const char *name, const char *unique)
{
	const char *dot = strchr(name, '.');
	gsize len = strlen(unique);
	char after;

	if (dot == NULL || strncmp(dot + 1, unique, len) != 0)
		return FALSE;
	after = dot[1 + len];
	return after == '.' || after == ',' || after == ':' || after == '\0';
}

gsize
maildir_name_base_len(const char *name)
{
	const char *colon = strchr(name, ':');

	return colon ? (gsize)(colon - name) : strlen(name);
}

void
maildir_name_parse_info(const char *name, guint32 *upper, guint32 *lower)
{
	const char *info = name + maildir_name_base_len(name);

	*upper = 0;
	*lower = 0;
	if (strncmp(info, ":2,", 3) != 0)
		return;
	for (const char *p = info + 3; *p && *p != ','; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*upper |= 1u << (*p - 'A');
		else if (*p >= 'a' && *p <= 'z')
			*lower |= 1u << (*p - 'a');
	}
}

char *
maildir_name_with_info(const char *name,
                       gsize base_len,
                       guint32 upper,
                       guint32 lower)
{
	GString *out = g_string_new_len(name, base_len);

	/* Letters in ASCII order, as the Maildir spec asks. */
	g_string_append(out, ":2,");
	for (int i = 0; i < 26; i++) {
		if (upper & (1u << i))
			g_string_append_c(out, (char)('A' + i));
	}
	for (int i = 0; i < 26; i++) {
		if (lower & (1u << i))
			g_string_append_c(out, (char)('a' + i));
	}
	return g_string_free(out, FALSE);
}

gint64
maildir_name_size(const char *name)
{
	gsize base_len = maildir_name_base_len(name);
	g_autofree char *base = g_strndup(name, base_len);
	const char *s = strstr(base, ",S=");
	char *end;
	guint64 size;

	if (s == NULL || !g_ascii_isdigit(s[3]))
		return -1;
	size = g_ascii_strtoull(s + 3, &end, 10);
	if ((*end != '\0' && *end != ',') || size > G_MAXINT64)
		return -1;
	return (gint64)size;
}

guint
maildir_flags_from_letters(guint32 upper)
{
	guint flags = 0;

	for (guint i = 0; i < G_N_ELEMENTS(flag_letters); i++) {
		if (upper & (1u << (flag_letters[i].letter - 'A')))
			flags |= flag_letters[i].flag;
	}
	return flags;
}

guint32
maildir_letters_from_flags(guint flags)
{
	guint32 upper = 0;

	for (guint i = 0; i < G_N_ELEMENTS(flag_letters); i++) {
		if (flags & flag_letters[i].flag)
			upper |= 1u << (flag_letters[i].letter - 'A');
	}
	return upper;
}
