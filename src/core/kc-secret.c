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

char *
kc_secret_api_server (const char *host)
{
  g_autoptr (GUri) uri = NULL;

  g_return_val_if_fail (host != NULL, NULL);

  uri = kc_config_parse_host (host, NULL);
  return uri ? g_uri_to_string (uri) : NULL;
}

char *
kc_secret_ami_server (const char *host,
                      guint16     port)
{
  g_return_val_if_fail (host != NULL, NULL);

  /* GUri puts an IPv6 address in brackets */
  return g_uri_join (G_URI_FLAGS_NONE, "ami", NULL, host, port, "", NULL, NULL);
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

/* The lookups of one config, one after the other */
typedef struct
{
  char *server;       /* NULL: the API password is not wanted */
  char *user;
  char *ami_server;   /* NULL: the AMI password is not wanted */
  char *ami_user;
  char *password;     /* found */
  char *ami_password;
} LoadData;

static void
load_data_free (LoadData *data)
{
  g_free (data->server);
  g_free (data->user);
  g_free (data->ami_server);
  g_free (data->ami_user);
  kc_secret_password_free (data->password);
  kc_secret_password_free (data->ami_password);
  g_free (data);
}

static void
load_ami_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  LoadData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->ami_password = kc_secret_lookup_password_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
load_ami (GTask *task)
{
  LoadData *data = g_task_get_task_data (task);

  if (data->ami_server == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  kc_secret_lookup_password_async (data->ami_server, data->ami_user,
                                   g_task_get_cancellable (task), load_ami_cb, task);
}

static void
load_api_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  LoadData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->password = kc_secret_lookup_password_finish (result, &error);
  /* A keyring that failed once would fail again */
  if (error != NULL)
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  load_ami (task);
}

void
kc_secret_load_config_password_async (const KcConfig      *config,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  GTask *task;
  LoadData *data;
  const char *ami_user;

  g_return_if_fail (config != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, kc_secret_load_config_password_async);
  data = g_new0 (LoadData, 1);
  g_task_set_task_data (task, data, (GDestroyNotify) load_data_free);

  /* The environment wins, and without a server and a user there is no key
   * to look a password up by. */
  if (config->password == NULL && config->endpoint != NULL && config->username != NULL)
    {
      data->server = g_uri_to_string (config->endpoint);
      data->user = g_strdup (config->username);
    }
  ami_user = kc_config_get_ami_username (config);
  if (config->ami_password == NULL && config->ami_host != NULL && ami_user != NULL)
    {
      data->ami_server = kc_secret_ami_server (config->ami_host, config->ami_port);
      data->ami_user = g_strdup (ami_user);
    }

  if (data->server == NULL)
    load_ami (task);
  else
    kc_secret_lookup_password_async (data->server, data->user, cancellable, load_api_cb, task);
}

gboolean
kc_secret_load_config_password_finish (KcConfig      *config,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  LoadData *data;

  g_return_val_if_fail (config != NULL, FALSE);
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (
    g_task_get_source_tag (G_TASK (result)) == kc_secret_load_config_password_async, FALSE);

  data = g_task_get_task_data (G_TASK (result));
  if (config->password == NULL)
    config->password = g_steal_pointer (&data->password);
  if (config->ami_password == NULL)
    config->ami_password = g_steal_pointer (&data->ami_password);
  return g_task_propagate_boolean (G_TASK (result), error);
}
