/* kc-secret.h: the PBX password in the Secret Service
 *
 * The password lives only in the user's keyring (libsecret, schema
 * "uz.kerio.Cti.Password"), keyed by the endpoint URL ("server", as
 * g_uri_to_string() prints what kc_config_parse_host() returns) and the user
 * name ("user"); never in GSettings or in a file of ours.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "kc-config.h"

G_BEGIN_DECLS

#define KC_SECRET_SCHEMA_NAME "uz.kerio.Cti.Password"

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
 * config's endpoint and user name is looked up, and _finish() puts it in
 * config->password (left NULL when none is stored). The async part copies
 * what it needs; only the config passed to _finish() must be alive. */
void      kc_secret_load_config_password_async  (const KcConfig      *config,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean  kc_secret_load_config_password_finish (KcConfig      *config,
                                                 GAsyncResult  *result,
                                                 GError       **error);

G_END_DECLS
