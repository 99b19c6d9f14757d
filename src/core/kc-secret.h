/* kc-secret.h: the PBX passwords in the Secret Service
 *
 * The passwords live only in the user's keyring (libsecret, schema
 * "uz.kerio.Cti.Password"), never in GSettings or in a file of ours, keyed
 * by a "server" and the user name ("user"). The API password's server is
 * the endpoint URL (kc_secret_api_server()); the AMI password's is
 * "ami://host:port" (kc_secret_ami_server()), which no endpoint URL is, so
 * that the two passwords of one user name never mix.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kc-config.h"

G_BEGIN_DECLS

#define KC_SECRET_SCHEMA_NAME "uz.kerio.Cti.Password"

/* The API password's server for a PBX host as typed (g_uri_to_string() of
 * what kc_config_parse_host() returns), or NULL when it is not one */
char     *kc_secret_api_server             (const char *host);
/* The AMI password's server: "ami://host:port" ("ami://[::1]:5038") */
char     *kc_secret_ami_server             (const char *host,
                                            guint16     port);

/* Replaces any password stored for server and user. */
void      kc_secret_store_password_async   (const char          *server,
                                            const char          *user,
                                            const char          *password,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
gboolean  kc_secret_store_password_finish  (GAsyncResult  *result,
                                            GError       **error);

/* Returns the password (transfer full, free with kc_secret_password_free()), or NULL
 * without an error when none is stored for server and user. */
void      kc_secret_lookup_password_async  (const char          *server,
                                            const char          *user,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
char     *kc_secret_lookup_password_finish (GAsyncResult  *result,
                                            GError       **error);

/* Wipes a password, then frees it; NULL is fine. */
void      kc_secret_password_free          (char *password);

/* kc_config_load() reads no keyring, so that loading stays synchronous and
 * quick. Call this after it and before starting the engine: when
 * KERIO_API_PASSWORD did not set config->password, the password stored for
 * config's endpoint and user name is looked up; when AMI is on and
 * KERIO_AMI_PASSWORD did not set config->ami_password, the one stored for
 * its host, port and AMI user name too. _finish() puts what it found in
 * config->password and config->ami_password (left NULL when none is
 * stored), also when it fails: a keyring that fails for the AMI password
 * leaves the API password found before it. The async part copies what it
 * needs; only the config passed to _finish() must be alive. */
void      kc_secret_load_config_password_async  (const KcConfig      *config,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean  kc_secret_load_config_password_finish (KcConfig      *config,
                                                 GAsyncResult  *result,
                                                 GError       **error);

G_END_DECLS
