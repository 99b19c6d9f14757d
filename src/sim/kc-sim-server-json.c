/* kc-sim-server-json.c: writing and reading JSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "kc-sim-server"

#include "kc-sim-server-private.h"

/* --- JSON output */

void
kc_sim_write_string (GString    *out,
                     const char *text)
{
  const char *p = text;

  g_string_append_c (out, '"');
  for (;;)
    {
      /* The plain run in one go: a page holds a million of these */
      gsize run = 0;
      guchar c;

      while ((c = (guchar) p[run]) >= 0x20 && c != '"' && c != '\\')
        run++;
      g_string_append_len (out, p, (gssize) run);
      p += run;
      if (c == '\0')
        break;
      if (c == '"' || c == '\\')
        {
          g_string_append_c (out, '\\');
          g_string_append_c (out, (char) c);
        }
      else
        g_string_append_printf (out, "\\u%04x", c);
      p++;
    }
  g_string_append_c (out, '"');
}

void
kc_sim_write_member_name (GString    *out,
                          const char *name)
{
  g_string_append_c (out, '"');
  g_string_append (out, name);
  g_string_append_len (out, "\":", 2);
}

void
kc_sim_write_member_string (GString    *out,
                            const char *name,
                            const char *value)
{
  kc_sim_write_member_name (out, name);
  kc_sim_write_string (out, value);
}

/* Decimal digits without printf, which took a fifth of a page's time */
void
kc_sim_write_int (GString *out,
                  gint64   value)
{
  char digits[24];
  char *end = digits + sizeof digits;
  char *p = end;
  guint64 magnitude = value < 0 ? -(guint64) value : (guint64) value;

  do
    {
      *--p = (char) ('0' + magnitude % 10);
      magnitude /= 10;
    }
  while (magnitude > 0);
  if (value < 0)
    *--p = '-';
  g_string_append_len (out, p, end - p);
}

void
kc_sim_write_member_int (KcSimServer *self,
                         GString     *out,
                         const char  *name,
                         gint64       value)
{
  kc_sim_write_member_name (out, name);
  if (self->numbers_as_strings)
    g_string_append_c (out, '"');
  kc_sim_write_int (out, value);
  if (self->numbers_as_strings)
    g_string_append_c (out, '"');
}

/* --- JSON input */

gboolean
kc_sim_node_get_int (JsonNode *node,
                     gint64   *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out = json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *out = (gint64) json_node_get_double (node);
      return TRUE;
    case G_TYPE_STRING:
      return g_ascii_string_to_signed (json_node_get_string (node), 10, G_MININT64, G_MAXINT64,
                                       out, NULL);
    default:
      return FALSE;
    }
}

const char *
kc_sim_object_get_string (JsonObject *object,
                          const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gboolean
kc_sim_object_get_int (JsonObject *object,
                       const char *name,
                       gint64     *out)
{
  return kc_sim_node_get_int (object ? json_object_get_member (object, name) : NULL, out);
}

gboolean
kc_sim_object_get_double (JsonObject *object,
                          const char *name,
                          double     *out)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      *out = (double) json_node_get_int (node);
      return TRUE;
    case G_TYPE_DOUBLE:
      *out = json_node_get_double (node);
      return TRUE;
    default:
      return FALSE;
    }
}
