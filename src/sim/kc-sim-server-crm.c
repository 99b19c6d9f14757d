/* kc-sim-server-crm.c: a small CRM beside the PBX: the customer lookup a
 * CTI asks when a call rings, and the customers' cards
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"

#define CRM_PATH "/crm"
#define JSON_TYPE "application/json"
#define HTML_TYPE "text/html; charset=UTF-8"

/* Known from the start, and the traffic's regular callers */
static const struct
{
  const char *number;
  const char *name;
} first_customers[] = {
  { "+998901234567", "Aziz Karimov (Sharq Savdo MChJ)" },
  { "+998935554433", "Dilnoza Rahimova" },
  { "+998971112233", "Gʻayrat Oʻrinboyev" },
  { "+998909876543", "Malika Yusupova (Orzu Tekstil)" },
  { "+998946667788", "Jasur Toshmatov" },
  { "+998998887766", "Nigora Xasanova (Baraka Market)" },
};

static const struct
{
  KcSimCrmFault  fault;
  const char    *name;
} fault_names[] = {
  { KC_SIM_CRM_OK, "ok" },
  { KC_SIM_CRM_SLOW, "slow" },
  { KC_SIM_CRM_BROKEN, "broken" },
  { KC_SIM_CRM_HTTP_500, "http500" },
};

static void
customer_free (gpointer data)
{
  SimCustomer *customer = data;

  g_free (customer->number);
  g_free (customer->name);
  g_free (customer);
}

void
kc_sim_crm_init (KcSimServer *self)
{
  self->crm_customers = g_ptr_array_new_with_free_func (customer_free);
  for (guint i = 0; i < G_N_ELEMENTS (first_customers); i++)
    kc_sim_server_set_crm_customer (self, first_customers[i].number, first_customers[i].name);
}

const char *
kc_sim_crm_regular (KcSimServer *self,
                    guint        n)
{
  const SimCustomer *customer;

  if (self->crm_customers->len == 0)
    return NULL;
  customer = g_ptr_array_index (self->crm_customers, n % self->crm_customers->len);
  return customer->number;
}

gboolean
kc_sim_crm_fault_from_name (const char    *name,
                            KcSimCrmFault *fault)
{
  for (guint i = 0; i < G_N_ELEMENTS (fault_names); i++)
    if (g_strcmp0 (name, fault_names[i].name) == 0)
      {
        *fault = fault_names[i].fault;
        return TRUE;
      }
  return FALSE;
}

/* The customer's number in the CRM's list (1-based: the card's id), or 0 */
static guint
find_customer (KcSimServer *self,
               const char  *number)
{
  for (guint i = 0; i < self->crm_customers->len; i++)
    if (g_strcmp0 (((SimCustomer *) g_ptr_array_index (self->crm_customers, i))->number,
                   number) == 0)
      return i + 1;
  return 0;
}

static char *
base_url (KcSimServer *self)
{
  return g_strdup_printf ("%s://127.0.0.1:%u", self->https ? "https" : "http", self->port);
}

static void
answer_lookup (KcSimServer       *self,
               SoupServerMessage *msg,
               GHashTable        *query)
{
  const char *number = query ? g_hash_table_lookup (query, "number") : NULL;
  GString *body = g_string_new ("{");
  guint id;

  self->crm_lookup_count++;
  switch (self->crm_fault)
    {
    case KC_SIM_CRM_HTTP_500:
      g_string_free (body, TRUE);
      kc_sim_respond_text (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "text/plain; charset=UTF-8",
                           "Internal Server Error\n");
      return;
    case KC_SIM_CRM_BROKEN:
      g_string_free (body, TRUE);
      kc_sim_respond_text (msg, SOUP_STATUS_OK, JSON_TYPE, "{\"name\": \"Aziz Kar");
      return;
    case KC_SIM_CRM_OK:
    case KC_SIM_CRM_SLOW:
    default:
      break;
    }

  id = number ? find_customer (self, number) : 0;
  if (id == 0)
    {
      kc_sim_write_member_string (body, "error", number ? "No such customer" : "No number");
      g_string_append_c (body, '}');
      kc_sim_respond (msg, number ? SOUP_STATUS_NOT_FOUND : SOUP_STATUS_BAD_REQUEST, JSON_TYPE,
                      body);
    }
  else
    {
      const SimCustomer *customer = g_ptr_array_index (self->crm_customers, id - 1);
      g_autofree char *base = base_url (self);
      g_autofree char *url = g_strdup_printf ("%s" CRM_PATH "/customers/%u", base, id);

      kc_sim_write_member_string (body, "name", customer->name);
      g_string_append_c (body, ',');
      kc_sim_write_member_string (body, "url", url);
      g_string_append (body, ",\"id\":");
      kc_sim_write_int (body, id);
      g_string_append_c (body, '}');
      kc_sim_respond (msg, SOUP_STATUS_OK, JSON_TYPE, body);
    }
  if (self->crm_fault == KC_SIM_CRM_SLOW)
    kc_sim_hold_answer (self, msg, KC_SIM_FAULT_SLOW);
}

static void
answer_page (SoupServerMessage *msg,
             guint              status,
             const char        *title,
             const char        *text)
{
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  g_autofree char *escaped_text = g_markup_escape_text (text, -1);
  GString *body = g_string_new (NULL);

  g_string_append_printf (body,
                          "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                          "<title>%s</title></head>\n<body><h1>%s</h1><p>%s</p></body></html>\n",
                          escaped_title, escaped_title, escaped_text);
  kc_sim_respond (msg, status, HTML_TYPE, body);
}

/* The card the lookup's url points at */
static void
answer_card (KcSimServer       *self,
             SoupServerMessage *msg,
             const char        *id_text)
{
  guint64 id;
  const SimCustomer *customer;

  if (!g_ascii_string_to_unsigned (id_text, 10, 1, self->crm_customers->len, &id, NULL))
    {
      answer_page (msg, SOUP_STATUS_NOT_FOUND, "Customer not found", id_text);
      return;
    }
  customer = g_ptr_array_index (self->crm_customers, id - 1);
  answer_page (msg, SOUP_STATUS_OK, customer->name, customer->number);
}

/* Where KERIO_CRM_URL sends the operator for any number */
static void
answer_search (KcSimServer       *self,
               SoupServerMessage *msg,
               GHashTable        *query)
{
  const char *number = query ? g_hash_table_lookup (query, "number") : NULL;
  guint id = number ? find_customer (self, number) : 0;
  g_autofree char *id_text = g_strdup_printf ("%u", id);

  if (id == 0)
    answer_page (msg, SOUP_STATUS_OK, "No customer", number ? number : "");
  else
    answer_card (self, msg, id_text);
}

void
kc_sim_handle_crm (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  KcSimServer *self = user_data;
  const char *method = soup_server_message_get_method (msg);

  if (method != SOUP_METHOD_GET)
    {
      soup_message_headers_append (soup_server_message_get_response_headers (msg), "Allow", "GET");
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
      return;
    }
  if (strcmp (path, CRM_PATH "/lookup") == 0)
    answer_lookup (self, msg, query);
  else if (strcmp (path, CRM_PATH "/search") == 0)
    answer_search (self, msg, query);
  else if (g_str_has_prefix (path, CRM_PATH "/customers/"))
    answer_card (self, msg, path + strlen (CRM_PATH "/customers/"));
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

char *
kc_sim_server_get_crm_lookup_url (KcSimServer *self)
{
  g_autofree char *base = NULL;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);
  base = base_url (self);
  return g_strconcat (base, CRM_PATH "/lookup?number={number}&extension={extension}", NULL);
}

char *
kc_sim_server_get_crm_search_url (KcSimServer *self)
{
  g_autofree char *base = NULL;

  g_return_val_if_fail (KC_IS_SIM_SERVER (self), NULL);
  base = base_url (self);
  return g_strconcat (base, CRM_PATH "/search?number={number}", NULL);
}

void
kc_sim_server_set_crm_customer (KcSimServer *self,
                                const char  *number,
                                const char  *name)
{
  guint id;

  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (number != NULL);

  id = find_customer (self, number);
  if (id != 0 && name == NULL)
    g_ptr_array_remove_index (self->crm_customers, id - 1);
  else if (id != 0)
    {
      SimCustomer *customer = g_ptr_array_index (self->crm_customers, id - 1);

      g_free (customer->name);
      customer->name = g_strdup (name);
    }
  else if (name != NULL)
    {
      SimCustomer *customer = g_new0 (SimCustomer, 1);

      customer->number = g_strdup (number);
      customer->name = g_strdup (name);
      g_ptr_array_add (self->crm_customers, customer);
    }
}

void
kc_sim_server_set_crm_fault (KcSimServer   *self,
                             KcSimCrmFault  fault)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->crm_fault = fault;
}

guint
kc_sim_server_get_crm_lookup_count (KcSimServer *self)
{
  g_return_val_if_fail (KC_IS_SIM_SERVER (self), 0);
  return self->crm_lookup_count;
}
