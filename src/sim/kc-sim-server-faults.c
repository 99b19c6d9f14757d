/* kc-sim-server-faults.c: faults, session expiry and restarts
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"

#define HUGE_PADDING (17 * 1024 * 1024)

/* An answer held back by the SLOW or DROP fault */
typedef struct
{
  KcSimServer       *self;
  SoupServerMessage *msg;
  KcSimFault         fault;
  guint              source;
  gulong             disconnected_id;
} PendingAnswer;

const SimFaultName kc_sim_fault_names[KC_SIM_N_FAULTS] = {
  { KC_SIM_FAULT_NONE, "none" },
  { KC_SIM_FAULT_HTML, "html" },
  { KC_SIM_FAULT_NOT_FOUND, "notFound" },
  { KC_SIM_FAULT_HTTP_500, "http500" },
  { KC_SIM_FAULT_TRUNCATED, "truncated" },
  { KC_SIM_FAULT_MALFORMED, "malformed" },
  { KC_SIM_FAULT_WRONG_SHAPE, "wrongShape" },
  { KC_SIM_FAULT_HUGE, "huge" },
  { KC_SIM_FAULT_DROP, "drop" },
  { KC_SIM_FAULT_SLOW, "slow" },
};

void
kc_sim_pending_answer_free (gpointer data)
{
  PendingAnswer *pending = data;

  g_clear_handle_id (&pending->source, g_source_remove);
  g_clear_signal_handler (&pending->disconnected_id, pending->msg);
  g_object_unref (pending->msg);
  g_free (pending);
}

static gboolean
pending_answer_fire (gpointer data)
{
  PendingAnswer *pending = data;

  pending->source = 0;
  g_clear_signal_handler (&pending->disconnected_id, pending->msg);
  if (pending->fault == KC_SIM_FAULT_DROP)
    {
      GIOStream *stream = soup_server_message_steal_connection (pending->msg);

      if (stream)
        {
          g_io_stream_close (stream, NULL, NULL);
          g_object_unref (stream);
        }
    }
  else
    {
      soup_server_message_unpause (pending->msg);
    }
  g_ptr_array_remove_fast (pending->self->pending, pending);
  return G_SOURCE_REMOVE;
}

static void
pending_answer_disconnected (SoupServerMessage *msg,
                             gpointer           data)
{
  PendingAnswer *pending = data;

  g_ptr_array_remove_fast (pending->self->pending, pending);
}

/* Stealing the connection from inside the handler would pull libsoup's I/O
 * state from under its feet, so the message is paused and dropped from the
 * main loop instead. */
void
kc_sim_hold_answer (KcSimServer       *self,
                    SoupServerMessage *msg,
                    KcSimFault         fault)
{
  PendingAnswer *pending = g_new0 (PendingAnswer, 1);

  pending->self = self;
  pending->msg = g_object_ref (msg);
  pending->fault = fault;
  soup_server_message_pause (msg);
  if (fault == KC_SIM_FAULT_DROP)
    pending->source = g_idle_add (pending_answer_fire, pending);
  else
    pending->source = g_timeout_add ((guint) (self->slow_delay * 1000), pending_answer_fire,
                                     pending);
  pending->disconnected_id = g_signal_connect (msg, "disconnected",
                                               G_CALLBACK (pending_answer_disconnected), pending);
  g_ptr_array_add (self->pending, pending);
}

void
kc_sim_send_rpc_answer (KcSimServer       *self,
                        SoupServerMessage *msg,
                        KcSimFault         fault,
                        GString           *body)
{
  static const char html_page[] =
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    "<body><h1>Service Unavailable</h1><p>The server is temporarily unable to service your "
    "request.</p></body></html>\n";
  static const char not_found_page[] =
    "<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head>"
    "<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p>"
    "</body></html>\n";
  static const char error_page[] =
    "<!DOCTYPE html>\n<html><head><title>500 Internal Server Error</title></head>"
    "<body><h1>Internal Server Error</h1></body></html>\n";
  static const char malformed[] = "{\"jsonrpc\":\"2.0\",\"result\":{calls:[{\"ID\":,}]";
  GString *huge;
  gsize at;

  switch (fault)
    {
    case KC_SIM_FAULT_HTML:
      kc_sim_respond_text (msg, SOUP_STATUS_OK, "text/html; charset=UTF-8", html_page);
      break;
    case KC_SIM_FAULT_NOT_FOUND:
      kc_sim_respond_text (msg, SOUP_STATUS_NOT_FOUND, "text/html; charset=UTF-8", not_found_page);
      break;
    case KC_SIM_FAULT_HTTP_500:
      kc_sim_respond_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "text/html; charset=UTF-8",
                           error_page);
      break;
    case KC_SIM_FAULT_TRUNCATED:
      g_string_truncate (body, body->len / 2);
      kc_sim_respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, g_steal_pointer (&body));
      break;
    case KC_SIM_FAULT_MALFORMED:
      kc_sim_respond_text (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, malformed);
      break;
    case KC_SIM_FAULT_HUGE:
      /* Still the right answer, only padded: a client without a size cap
       * would swallow it whole. */
      huge = g_string_sized_new (body->len + HUGE_PADDING + 16);
      g_string_append (huge, "{\"padding\":\"");
      at = huge->len;
      g_string_set_size (huge, at + HUGE_PADDING);
      memset (huge->str + at, 'x', HUGE_PADDING);
      g_string_append (huge, "\",");
      g_string_append (huge, body->str + 1);
      kc_sim_respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, huge);
      break;
    case KC_SIM_FAULT_DROP:
      kc_sim_hold_answer (self, msg, fault);
      break;
    case KC_SIM_FAULT_SLOW:
      kc_sim_respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, g_steal_pointer (&body));
      kc_sim_hold_answer (self, msg, fault);
      break;
    case KC_SIM_FAULT_NONE:
    case KC_SIM_FAULT_WRONG_SHAPE:
    default:
      kc_sim_respond (msg, SOUP_STATUS_OK, JSON_RPC_TYPE, g_steal_pointer (&body));
      break;
    }

  if (body)
    g_string_free (body, TRUE);
}

/* The fault for the answer to this request: a counted one first (never on
 * a login), else one drawn at the configured rates. */
KcSimFault
kc_sim_next_fault (KcSimServer *self,
                   gboolean     login)
{
  double draw, sum = 0;

  if (!login && self->fault_remaining > 0)
    {
      self->fault_remaining--;
      return self->fault;
    }
  /* One draw per request whatever the rates, so that a run repeats */
  draw = g_rand_double (self->fault_rand);
  for (guint fault = KC_SIM_FAULT_NONE + 1; fault < G_N_ELEMENTS (self->fault_rates); fault++)
    {
      sum += self->fault_rates[fault];
      if (draw < sum)
        return (KcSimFault) fault;
    }
  return KC_SIM_FAULT_NONE;
}

/* --- Sessions and faults */

void
kc_sim_server_expire_sessions (KcSimServer *self)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_hash_table_remove_all (self->sessions);
  self->expiry_count++;
}

void
kc_sim_server_inject_fault (KcSimServer *self,
                            KcSimFault   fault,
                            guint        count)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (fault <= KC_SIM_FAULT_SLOW);
  self->fault = fault;
  self->fault_remaining = fault == KC_SIM_FAULT_NONE ? 0 : count;
}

void
kc_sim_server_set_slow_delay (KcSimServer *self,
                              double       seconds)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (seconds >= 0);
  self->slow_delay = seconds;
}

void
kc_sim_server_set_fault_rate (KcSimServer *self,
                              KcSimFault   fault,
                              double       rate)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (fault > KC_SIM_FAULT_NONE && fault <= KC_SIM_FAULT_SLOW);
  g_return_if_fail (rate >= 0 && rate <= 1);
  self->fault_rates[fault] = rate;
}

void
kc_sim_server_set_fault_seed (KcSimServer *self,
                              guint32      seed)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_rand_set_seed (self->fault_rand, seed);
}

guint
kc_sim_server_get_fault_count (KcSimServer *self,
                               KcSimFault   fault)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  g_return_val_if_fail (fault <= KC_SIM_FAULT_SLOW, 0);
  return self->fault_counts[fault];
}

static gboolean
on_expire_tick (gpointer data)
{
  KcSimServer *self = data;

  kc_sim_server_expire_sessions (self);
  return G_SOURCE_CONTINUE;
}

void
kc_sim_server_set_expire_every (KcSimServer *self,
                                double       seconds)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (seconds >= 0);

  self->expire_every = seconds;
  g_clear_handle_id (&self->expire_source, g_source_remove);
  if (seconds > 0)
    self->expire_source = g_timeout_add ((guint) MAX (seconds * 1000, 1), on_expire_tick, self);
}

/* --- Restart */

static gboolean
listen_again (KcSimServer  *self,
              GError      **error)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, self->port);

  return soup_server_listen (self->server, address,
                             self->certificate ? SOUP_SERVER_LISTEN_HTTPS : 0, error);
}

static gboolean
on_up_again (gpointer data)
{
  KcSimServer *self = data;
  g_autoptr (GError) error = NULL;

  self->up_source = 0;
  /* The old listening socket is closed, and bound with SO_REUSEADDR: the
   * port is ours again unless something else took it meanwhile. */
  if (!listen_again (self, &error))
    {
      g_warning ("The simulator cannot listen on port %u again: %s", self->port, error->message);
      return G_SOURCE_REMOVE;
    }
  kc_sim_ami_come_up (self);
  self->down = FALSE;
  return G_SOURCE_REMOVE;
}

gboolean
kc_sim_server_restart (KcSimServer *self,
                       double       down_for)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);
  g_return_val_if_fail (down_for >= 0, FALSE);
  g_return_val_if_fail (self->port != 0, FALSE);

  if (self->down)
    return FALSE;
  self->down = TRUE;
  self->restart_count++;

  /* Held answers die with their connections */
  g_ptr_array_set_size (self->pending, 0);
  soup_server_disconnect (self->server);

  g_hash_table_remove_all (self->sessions);
  g_hash_table_remove_all (self->downloads);
  while (self->calls->len > 0)
    {
      SimCall *call = g_ptr_array_index (self->calls, 0);
      g_autofree char *id = g_strdup (call->id);

      kc_sim_server_end_call (self, id, KC_SIM_CDR_NO_ANSWER);
    }
  kc_sim_ami_go_down (self);

  self->up_source = g_timeout_add ((guint) (down_for * 1000), on_up_again, self);
  return TRUE;
}

gboolean
kc_sim_server_is_down (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), FALSE);
  return self->down;
}

guint
kc_sim_server_get_restart_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->restart_count;
}
