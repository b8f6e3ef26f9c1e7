/* raven-tls-cert.c: a self-signed certificate for the first start.
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "raven-tls.h"

#include "raven-io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include <string.h>
#include <unistd.h>

#define CERT_DAYS 825

/* Write `data` to `path` through a temporary file, fsynced, then renamed. */
static gboolean
write_file_atomic(const char *path,
                  const gnutls_datum_t *data,
                  int mode,
                  GError **error)
{
	g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	gboolean ok;

	if (fd < 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot create %s: %s", tmp, g_strerror(errno));
		return FALSE;
	}
	ok = raven_write_all(fd, data->data, data->size) && fsync(fd) == 0;
	if (!ok)
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot write %s: %s", tmp, g_strerror(errno));
	close(fd);
	if (ok && rename(tmp, path) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot rename %s: %s", tmp, g_strerror(errno));
		ok = FALSE;
	}
	if (!ok)
		g_unlink(tmp);
	return ok;
}

static int
add_names(gnutls_x509_crt_t crt, const char *hostname)
{
	static const char *const ips[] = { "127.0.0.1", "::1" };
	int rc;

	rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
	                                          hostname, strlen(hostname),
	                                          GNUTLS_FSAN_SET);
	if (rc >= 0 && g_strcmp0(hostname, "localhost") != 0)
		rc = gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
			GNUTLS_FSAN_APPEND);
	for (guint i = 0; rc >= 0 && i < G_N_ELEMENTS(ips); i++) {
		guint8 raw[16];
		int family = strchr(ips[i], ':') ? AF_INET6 : AF_INET;

		inet_pton(family, ips[i], raw);
		rc = gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_IPADDRESS, raw,
			family == AF_INET6 ? 16 : 4, GNUTLS_FSAN_APPEND);
	}
	return rc;
}

static int
fill_certificate(gnutls_x509_crt_t crt,
                 gnutls_x509_privkey_t key,
                 const char *hostname)
{
	guint8 serial[16];
	time_t now = time(NULL);
	int rc;

	gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial);
	serial[0] &= 0x7f; /* a positive number */
	rc = gnutls_x509_crt_set_version(crt, 3);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_activation_time(crt, now - 3600);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_expiration_time(
			crt, now + (time_t)CERT_DAYS * 86400);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_dn_by_oid(
			crt, GNUTLS_OID_X520_COMMON_NAME, 0, hostname,
			strlen(hostname));
	if (rc >= 0)
		rc = add_names(crt, hostname);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_key_usage(
			crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_key_purpose_oid(
			crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
	if (rc >= 0)
		rc = gnutls_x509_crt_set_key(crt, key);
	if (rc >= 0)
		rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	return rc;
}

gboolean
raven_tls_ensure_self_signed(const char *certificate_path,
                             const char *key_path,
                             const char *hostname,
                             GError **error)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t key_pem = { NULL, 0 };
	gnutls_datum_t crt_pem = { NULL, 0 };
	g_autofree char *folder = g_path_get_dirname(certificate_path);
	gboolean ok = FALSE;
	int rc;

	if (g_file_test(certificate_path, G_FILE_TEST_EXISTS))
		return TRUE;
	if (g_mkdir_with_parents(folder, 0700) != 0) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
		            "cannot create %s: %s", folder, g_strerror(errno));
		return FALSE;
	}
	rc = gnutls_x509_privkey_init(&key);
	if (rc >= 0)
		rc = gnutls_x509_privkey_generate(
			key, GNUTLS_PK_ECDSA,
			GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (rc >= 0)
		rc = gnutls_x509_crt_init(&crt);
	if (rc >= 0)
		rc = fill_certificate(crt, key, hostname);
	if (rc >= 0)
		rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM,
		                                 &key_pem);
	if (rc >= 0)
		rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM,
		                             &crt_pem);
	if (rc < 0)
		g_set_error(error, RAVEN_TLS_ERROR, RAVEN_TLS_ERROR_CREDENTIALS,
		            "cannot make a self-signed certificate: %s",
		            gnutls_strerror(rc));
	/* The key first: a certificate on disk means both are there. */
	else if (write_file_atomic(key_path, &key_pem, 0600, error))
		ok = write_file_atomic(certificate_path, &crt_pem, 0644, error);
	if (key_pem.data) {
		gnutls_memset(key_pem.data, 0, key_pem.size);
		gnutls_free(key_pem.data);
	}
	gnutls_free(crt_pem.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return ok;
}
