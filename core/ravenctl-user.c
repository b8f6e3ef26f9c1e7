/* ravenctl-user.c: `ravenctl user ...`, the user database from the shell.
 * SPDX-License-Identifier: MIT
 */
#ifndef _GNU_SOURCE
#	define _GNU_SOURCE /* termios in strict C11 */
#endif

#include "ravenctl.h"
#include "raven-config.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 1024

typedef int (*UserCommandFunc)(RavenUserDb *db, char **args);

typedef struct {
	const char *name;
	int args; /* words after the name */
	const char *usage;
	UserCommandFunc run;
} UserCommand;

static int fail(const char *format, ...) G_GNUC_PRINTF(1, 2);

static int
fail(const char *format, ...)
{
	va_list args;

	fputs("ravenctl: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputc('\n', stderr);
	return 1;
}

/* One line from stdin into `buf` (without "\n" or "\r\n"); NULL, or what
 * went wrong.  Read a byte at a time so no copy stays in a stdio buffer. */
static const char *
read_line(char *buf, gsize size)
{
	const char *problem = NULL;
	gsize len = 0;
	char c = '\0';
	ssize_t n;

	while (problem == NULL && (n = read(STDIN_FILENO, &c, 1)) != 0) {
		if (n == 1 && c == '\n')
			break;
		if (n == 1 && len + 1 < size)
			buf[len++] = c;
		else if (n == 1)
			problem = "the password is too long";
		else if (errno != EINTR)
			problem = "cannot read the password";
	}
	sodium_memzero(&c, sizeof c);
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	return problem;
}

/* A line from the terminal with echo off. */
static const char *
prompt_line(const char *prompt, char *buf, gsize size)
{
	struct termios saved, quiet;
	const char *problem;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &saved) < 0)
		return "cannot turn the terminal's echo off";
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) < 0)
		return "cannot turn the terminal's echo off";
	problem = read_line(buf, size);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	fputc('\n', stderr);
	return problem;
}

/* The new password: asked twice on a terminal, else one line of stdin. */
static const char *
read_password(char *buf, gsize size)
{
	char again[PASSWORD_MAX];
	const char *problem;

	if (!isatty(STDIN_FILENO))
		return read_line(buf, size);
	problem = prompt_line("Password: ", buf, size);
	if (problem == NULL)
		problem = prompt_line("Password (again): ", again,
		                      sizeof again);
	if (problem == NULL && strcmp(buf, again) != 0)
		problem = "the passwords do not match";
	sodium_memzero(again, sizeof again);
	return problem;
}

/* add and passwd: the user's presence is checked before the prompt. */
static int
set_password(RavenUserDb *db, const char *address, gboolean add)
{
	char password[PASSWORD_MAX];
	g_autoptr(GError) error = NULL;
	const char *problem;
	gboolean ok = FALSE;

	if (add && raven_user_db_exists(db, address))
		return fail("user '%s' exists already", address);
	if (!add && !raven_user_db_exists(db, address))
		return fail("no user '%s'", address);
	problem = read_password(password, sizeof password);
	if (problem == NULL && add)
		ok = raven_user_db_add(db, address, password, &error);
	else if (problem == NULL)
		ok = raven_user_db_set_password(db, address, password, &error);
	sodium_memzero(password, sizeof password);
	if (problem != NULL)
		return fail("%s", problem);
	return ok ? 0 : fail("%s", error->message);
}

static int
user_add(RavenUserDb *db, char **args)
{
	return set_password(db, args[0], TRUE);
}

static int
user_passwd(RavenUserDb *db, char **args)
{
	return set_password(db, args[0], FALSE);
}

static int
user_del(RavenUserDb *db, char **args)
{
	g_autoptr(GError) error = NULL;

	if (!raven_user_db_delete(db, args[0], &error))
		return fail("%s", error->message);
	return 0;
}

static int
user_list(RavenUserDb *db, char **args)
{
	g_auto(GStrv) users = raven_user_db_list(db);

	for (guint i = 0; users[i] != NULL; i++) {
		guint64 quota = raven_user_db_get_quota(db, users[i]);

		if (quota > 0)
			printf("%s\t%" G_GUINT64_FORMAT "\n", users[i], quota);
		else
			printf("%s\n", users[i]);
	}
	return fflush(stdout) == 0 ? 0 : fail("cannot write the list");
}

static int
user_quota(RavenUserDb *db, char **args)
{
	g_autoptr(GError) error = NULL;
	guint64 bytes;

	if (!raven_config_parse_size(args[1], &bytes))
		return fail("'%s' is not a size such as 25M or 1G", args[1]);
	if (!raven_user_db_set_quota(db, args[0], bytes, &error))
		return fail("%s", error->message);
	return 0;
}

static const UserCommand commands[] = {
	{ "add", 1, "add ADDRESS", user_add },
	{ "passwd", 1, "passwd ADDRESS", user_passwd },
	{ "del", 1, "del ADDRESS", user_del },
	{ "list", 0, "list", user_list },
	{ "quota", 2, "quota ADDRESS SIZE", user_quota },
};

static int
usage(void)
{
	for (gsize i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(stderr, "%s ravenctl user %s\n",
		        i == 0 ? "usage:" : "      ", commands[i].usage);
	fputs("The password is read from stdin (asked twice on a terminal); "
	      "SIZE as 25M or 1G, 0 for the default.\n",
	      stderr);
	return 1;
}

int
ravenctl_user_main(RavenUserDb *db, int argc, char **argv)
{
	g_return_val_if_fail(db != NULL, 1);
	for (gsize i = 0; argc > 0 && i < G_N_ELEMENTS(commands); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		if (argc - 1 != commands[i].args)
			return usage();
		return commands[i].run(db, argv + 1);
	}
	return usage();
}
