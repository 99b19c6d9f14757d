/* kc-secret.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-secret"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>
#include <string.h>

#include "kc-secret.h"

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    KC_SECRET_SCHEMA_NAME,
    SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

/* A password must not linger in freed heap memory. */
void
kc_secret_password_free (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (secret_password_store_finish (result, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
kc_secret_store_password_async (const char          *server,
                                const char          *user,
                                const char          *password,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (server != NULL);
  g_return_if_fail (user != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_secret_store_password_async);

  /* What a keyring manager such as Seahorse shows for the item */
  label = g_strdup_printf (_("Kerio Operator password for %s at %s"), user, server);
  secret_password_store (get_schema (), SECRET_COLLECTION_DEFAULT, label, password, cancellable,
                         store_cb, g_steal_pointer (&task), "server", server, "user", user, NULL);
}

gboolean
kc_secret_store_password_finish (GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kc_secret_store_password_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  char *password = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* libsecret hands out non-pageable memory that only it may free; callers
   * get ordinary heap memory they can g_free(). */
  g_task_return_pointer (task, g_strdup (password), (GDestroyNotify) kc_secret_password_free);
  secret_password_free (password);
}

void
kc_secret_lookup_password_async (const char          *server,
                                 const char          *user,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (server != NULL);
  g_return_if_fail (user != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_secret_lookup_password_async);
  secret_password_lookup (get_schema (), cancellable, lookup_cb, g_steal_pointer (&task),
                          "server", server, "user", user, NULL);
}

char *
kc_secret_lookup_password_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == kc_secret_lookup_password_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
load_config_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  char *password = kc_secret_lookup_password_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, password, (GDestroyNotify) kc_secret_password_free);
}

void
kc_secret_load_config_password_async (const KcConfig      *config,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *server = NULL;

  g_return_if_fail (config != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_secret_load_config_password_async);

  /* The environment wins, and without a server and a user there is no key
   * to look the password up by. */
  if (config->password != NULL || config->endpoint == NULL || config->username == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  server = g_uri_to_string (config->endpoint);
  kc_secret_lookup_password_async (server, config->username, cancellable, load_config_cb,
                                   g_steal_pointer (&task));
}

gboolean
kc_secret_load_config_password_finish (KcConfig      *config,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  GError *local_error = NULL;
  char *password;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (
    g_task_get_source_tag (G_TASK (result)) == kc_secret_load_config_password_async, FALSE);

  password = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (password != NULL && config->password == NULL)
    config->password = password;
  else
    kc_secret_password_free (password);
  return TRUE;
}
