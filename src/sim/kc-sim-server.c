/* kc-sim-server.c: the simulator object, its settings, strings and counters
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"

G_DEFINE_FINAL_TYPE (KcSimServer, kc_sim_server, G_TYPE_OBJECT)

/* --- Strings */

guint32
kc_sim_intern (KcSimServer *self,
               const char  *text)
{
  gpointer found = g_hash_table_lookup (self->string_ids, text);
  char *copy;

  if (found)
    return GPOINTER_TO_UINT (found) - 1;
  copy = g_string_chunk_insert (self->string_chunk, text);
  g_ptr_array_add (self->strings, copy);
  g_hash_table_insert (self->string_ids, copy, GUINT_TO_POINTER (self->strings->len));
  return self->strings->len - 1;
}

const char *
kc_sim_lookup (KcSimServer *self,
               guint32      id)
{
  return g_ptr_array_index (self->strings, id);
}

gboolean
kc_sim_is_extension (const char *number)
{
  gsize len = strlen (number);

  if (len == 0 || len > 6)
    return FALSE;
  for (const char *p = number; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

/* --- GObject */

static void
kc_sim_server_finalize (GObject *object)
{
  KcSimServer *self = KC_SIM_SERVER (object);

  g_clear_handle_id (&self->traffic_source, g_source_remove);
  g_clear_handle_id (&self->expire_source, g_source_remove);
  g_clear_handle_id (&self->up_source, g_source_remove);
  g_clear_pointer (&self->traffic_calls, g_ptr_array_unref);
  g_clear_pointer (&self->traffic_missed, g_ptr_array_unref);
  g_clear_pointer (&self->traffic_ended, g_hash_table_unref);
  g_clear_pointer (&self->pending_cdrs, g_ptr_array_unref);
  g_clear_pointer (&self->traffic_rand, g_rand_free);
  g_clear_pointer (&self->fault_rand, g_rand_free);
  g_clear_pointer (&self->call_log, g_array_unref);
  g_clear_object (&self->certificate);
  /* Before the server goes: its connections would report the held messages
   * as disconnected to an object half torn down. */
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  kc_sim_ami_clear (self);
  if (self->server)
    {
      g_signal_handlers_disconnect_by_data (self->server, self);
      soup_server_disconnect (self->server);
    }
  g_clear_object (&self->server);

  g_clear_pointer (&self->replay, kc_sim_replay_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->password, g_free);
  g_clear_pointer (&self->download_url_override, g_free);
  g_clear_pointer (&self->sessions, g_hash_table_unref);
  g_clear_pointer (&self->calls, g_ptr_array_unref);
  kc_sim_table_clear (&self->cdrs);
  kc_sim_table_clear (&self->recordings);
  g_clear_pointer (&self->downloads, g_hash_table_unref);
  g_clear_pointer (&self->string_ids, g_hash_table_unref);
  g_clear_pointer (&self->strings, g_ptr_array_unref);
  g_clear_pointer (&self->string_chunk, g_string_chunk_free);
  g_clear_pointer (&self->request_counts, g_hash_table_unref);
  g_clear_pointer (&self->directory, g_ptr_array_unref);
  g_clear_pointer (&self->crm_customers, g_ptr_array_unref);

  G_OBJECT_CLASS (kc_sim_server_parent_class)->finalize (object);
}

static void
kc_sim_server_class_init (KcSimServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kc_sim_server_finalize;
}

static void
kc_sim_server_init (KcSimServer *self)
{
  self->username = g_strdup (KC_SIM_DEFAULT_USERNAME);
  self->password = g_strdup (KC_SIM_DEFAULT_PASSWORD);
  self->record_calls = TRUE;
  self->slow_delay = 2.0;
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->calls = g_ptr_array_new_with_free_func (kc_sim_call_free);
  self->pending_cdrs = g_ptr_array_new_with_free_func (kc_sim_call_records_free);
  self->string_chunk = g_string_chunk_new (64 * 1024);
  self->strings = g_ptr_array_new ();
  self->string_ids = g_hash_table_new (g_str_hash, g_str_equal);
  kc_sim_table_init (&self->cdrs, sizeof (SimCdr));
  kc_sim_table_init (&self->recordings, sizeof (SimRecording));
  self->downloads = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->pending = g_ptr_array_new_with_free_func (kc_sim_pending_answer_free);
  self->request_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->traffic_calls = g_ptr_array_new_with_free_func (kc_sim_traffic_call_free);
  self->traffic_missed = g_ptr_array_new_with_free_func (g_free);
  self->traffic_ended = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->traffic_max_talk = KC_SIM_TRAFFIC_MAX_TALK;
  self->fault_rand = g_rand_new_with_seed (0);
  self->restart_down_for = -1;
  self->call_log = g_array_new (FALSE, FALSE, sizeof (SimCallLog));
  kc_sim_ami_init (self);
  kc_sim_directory_init (self);
  kc_sim_crm_init (self);

  self->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (self->server, KC_SIM_ENDPOINT_PATH, kc_sim_handle_jsonrpc, self, NULL);
  soup_server_add_handler (self->server, DOWNLOAD_PATH, kc_sim_handle_download, self, NULL);
  soup_server_add_handler (self->server, CONTROL_PATH, kc_sim_handle_control, self, NULL);
  soup_server_add_handler (self->server, "/crm", kc_sim_handle_crm, self, NULL);
  g_signal_connect (self->server, "request-started", G_CALLBACK (kc_sim_on_request_started), self);
}

KcSimServer *
kc_sim_server_new (void)
{
  return g_object_new (KC_TYPE_SIM_SERVER, NULL);
}

gboolean
kc_sim_server_listen (KcSimServer      *self,
                      guint16           port,
                      GTlsCertificate  *certificate,
                      GError          **error)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, port);
  GSList *uris;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (self->port == 0, FALSE);

  if (certificate)
    {
      soup_server_set_tls_certificate (self->server, certificate);
      self->certificate = g_object_ref (certificate);
    }
  if (!soup_server_listen (self->server, address, certificate ? SOUP_SERVER_LISTEN_HTTPS : 0,
                           error))
    return FALSE;

  uris = soup_server_get_uris (self->server);
  self->port = (guint16) g_uri_get_port (uris->data);
  self->https = certificate != NULL;
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return TRUE;
}

guint16
kc_sim_server_get_port (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->port;
}

char *
kc_sim_server_get_endpoint_url (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);
  return g_strdup_printf ("%s://127.0.0.1:%u" KC_SIM_ENDPOINT_PATH, self->https ? "https" : "http",
                          self->port);
}

void
kc_sim_server_set_credentials (KcSimServer *self,
                               const char  *username,
                               const char  *password)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_free (self->username);
  g_free (self->password);
  self->username = g_strdup (username);
  self->password = g_strdup (password);
}

void
kc_sim_server_set_page_cap (KcSimServer *self,
                            guint        cap)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->page_cap = cap;
}

void
kc_sim_server_set_omit_call_ids (KcSimServer *self,
                                 gboolean     omit)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->omit_call_ids = omit;
}

void
kc_sim_server_set_numeric_status (KcSimServer *self,
                                  gboolean     numeric)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->numeric_status = numeric;
}

void
kc_sim_server_set_numbers_as_strings (KcSimServer *self,
                                      gboolean     as_strings)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->numbers_as_strings = as_strings;
}

/* --- Counters */

guint
kc_sim_server_get_request_count (KcSimServer *self,
                                 const char  *method)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->request_counts, method));
}

guint
kc_sim_server_get_unauthenticated_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->unauthenticated_count;
}

guint
kc_sim_server_get_download_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->download_count;
}

guint
kc_sim_server_get_connection_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->connection_count;
}
