/* kc-sim-server-directory.c: the PBX's directory of its own numbers
 * (Server.getInternalDirectoryList)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include <string.h>

#include "kc-sim-server-private.h"

/* EXTENSION_TYPE_ID of Kerio's SDK sample */
#define TYPE_LINE 1
#define TYPE_RING_GROUP 9

static void
directory_entry_free (gpointer data)
{
  SimDirectoryEntry *entry = data;

  g_free (entry->number);
  g_free (entry->description);
  g_free (entry);
}

/* TEL_NUM order, as the client asks: shorter numbers first, then by digit */
static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const SimDirectoryEntry *x = *(SimDirectoryEntry *const *) a;
  const SimDirectoryEntry *y = *(SimDirectoryEntry *const *) b;
  gsize lx = strlen (x->number), ly = strlen (y->number);

  if (lx != ly)
    return lx < ly ? -1 : 1;
  return strcmp (x->number, y->number);
}

static void
set_entry (KcSimServer *self,
           const char  *number,
           const char  *description,
           int          type)
{
  SimDirectoryEntry *entry;

  for (guint i = 0; i < self->directory->len; i++)
    {
      entry = g_ptr_array_index (self->directory, i);
      if (strcmp (entry->number, number) != 0)
        continue;
      if (description == NULL)
        {
          g_ptr_array_remove_index (self->directory, i);
          return;
        }
      g_free (entry->description);
      entry->description = g_strdup (description);
      return;
    }
  if (description == NULL)
    return;
  entry = g_new0 (SimDirectoryEntry, 1);
  entry->number = g_strdup (number);
  entry->description = g_strdup (description);
  entry->type = type;
  g_ptr_array_add (self->directory, entry);
  g_ptr_array_sort (self->directory, compare_entries);
}

void
kc_sim_directory_init (KcSimServer *self)
{
  self->directory = g_ptr_array_new_with_free_func (directory_entry_free);
  for (guint i = 0; i < KC_SIM_N_OPERATORS; i++)
    {
      g_autofree char *number = g_strdup_printf ("%u", 1001 + i);

      set_entry (self, number, kc_sim_operator_names[i], TYPE_LINE);
    }
  set_entry (self, KC_SIM_TRAFFIC_GROUP, "Sotuv boʻlimi", TYPE_RING_GROUP);
}

void
kc_sim_server_set_directory_entry (KcSimServer *self,
                                   const char  *number,
                                   const char  *description)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  g_return_if_fail (number != NULL);

  set_entry (self, number, description, kc_sim_is_extension (number) ? TYPE_LINE : 0);
}

void
kc_sim_server_set_directory_enabled (KcSimServer *self,
                                     gboolean     enabled)
{
  g_return_if_fail (KC_IS_SIM_SERVER (self));
  self->directory_disabled = !enabled;
}

gboolean
kc_sim_rpc_get_directory (KcSimServer        *self,
                          SoupServerMessage  *msg,
                          JsonObject         *params,
                          GString            *out,
                          GError            **error)
{
  gboolean field = self->dialect == KC_SIM_DIALECT_FIELD;

  if (self->directory_disabled)
    {
      g_set_error_literal (error, RPC_ERROR, RPC_METHOD_NOT_FOUND,
                           "Method 'Server.getInternalDirectoryList' not found.");
      return FALSE;
    }
  g_string_append (out, "{\"numberList\":[");
  for (guint i = 0; i < self->directory->len; i++)
    {
      const SimDirectoryEntry *entry = g_ptr_array_index (self->directory, i);

      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, '{');
      kc_sim_write_member_string (out, field ? "tel_num" : "TEL_NUM", entry->number);
      g_string_append_c (out, ',');
      kc_sim_write_member_string (out, field ? "description" : "DESCRIPTION", entry->description);
      g_string_append_c (out, ',');
      kc_sim_write_member_int (self, out, field ? "extension_type_id" : "EXTENSION_TYPE_ID",
                               entry->type);
      g_string_append_c (out, '}');
    }
  g_string_append (out, "],");
  kc_sim_write_member_int (self, out, "totalItems", self->directory->len);
  g_string_append_c (out, '}');
  return TRUE;
}
