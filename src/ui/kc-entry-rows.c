/* kc-entry-rows.c: what the preference groups' entry rows share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "kc-entry-rows.h"

char *
kc_entry_row_get_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

void
kc_entry_row_set_error (AdwEntryRow *row,
                        GtkWidget   *error_row,
                        GtkLabel    *error_label,
                        const char  *message)
{
  if (message != NULL)
    {
      gtk_label_set_text (error_label, message);
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_accessible_update_relation (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY,
                                      error_label, NULL, -1);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
      gtk_accessible_reset_relation (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_RELATION_DESCRIBED_BY);
    }
  gtk_widget_set_visible (error_row, message != NULL);
}

/* Turning the apply button off and on again is how libadwaita 1.2 lets one
 * say the edit was taken, so that the button goes away as if pressed. */
void
kc_entry_row_take_edit (AdwEntryRow *row)
{
  adw_entry_row_set_show_apply_button (row, FALSE);
  adw_entry_row_set_show_apply_button (row, TRUE);
  g_signal_emit_by_name (row, "apply");
}

GWeakRef *
kc_weak_ref_new (gpointer object)
{
  GWeakRef *ref = g_new (GWeakRef, 1);

  g_weak_ref_init (ref, object);
  return ref;
}

gpointer
kc_weak_ref_steal (gpointer weak_ref)
{
  GWeakRef *ref = weak_ref;
  gpointer object = g_weak_ref_get (ref);

  g_weak_ref_clear (ref);
  g_free (ref);
  return object;
}
