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

typedef struct
{
  AdwEntryRow       *row;
  KcEntryRowLeftFunc left;
  gpointer           owner;
  GtkWidget         *window; /* weak */
  gulong             focus_handler;
  gboolean           has_focus;
} LeftWatch;

static gboolean
watch_has_focus (LeftWatch *watch)
{
  GtkWidget *row = GTK_WIDGET (watch->row);
  GtkWidget *focus;

  if (watch->window == NULL)
    return FALSE;
  focus = gtk_window_get_focus (GTK_WINDOW (watch->window));
  return focus != NULL && (focus == row || gtk_widget_is_ancestor (focus, row));
}

/* The window's focus widget changes only when the focus moves inside it,
 * not when the window stops or starts being the active one */
static void
focus_moved_cb (GtkWindow  *window,
                GParamSpec *pspec,
                LeftWatch  *watch)
{
  gboolean had_focus = watch->has_focus;

  watch->has_focus = watch_has_focus (watch);
  if (had_focus && !watch->has_focus)
    watch->left (watch->owner, watch->row);
}

static void
watch_unwatch_window (LeftWatch *watch)
{
  if (watch->window == NULL)
    return;
  g_clear_signal_handler (&watch->focus_handler, watch->window);
  g_object_remove_weak_pointer (G_OBJECT (watch->window), (gpointer *) &watch->window);
  watch->window = NULL;
}

static void
root_changed_cb (AdwEntryRow *row,
                 GParamSpec  *pspec,
                 LeftWatch   *watch)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (row));

  watch_unwatch_window (watch);
  if (GTK_IS_WINDOW (root))
    {
      watch->window = GTK_WIDGET (root);
      g_object_add_weak_pointer (G_OBJECT (watch->window), (gpointer *) &watch->window);
      watch->focus_handler = g_signal_connect (watch->window, "notify::focus-widget",
                                               G_CALLBACK (focus_moved_cb), watch);
    }
  watch->has_focus = watch_has_focus (watch);
}

static void
watch_free (gpointer data)
{
  LeftWatch *watch = data;

  watch_unwatch_window (watch);
  g_free (watch);
}

void
kc_entry_row_watch_left (AdwEntryRow        *row,
                         KcEntryRowLeftFunc  left,
                         gpointer            owner)
{
  LeftWatch *watch = g_new0 (LeftWatch, 1);

  watch->row = row;
  watch->left = left;
  watch->owner = owner;
  g_object_set_data_full (G_OBJECT (row), "kc-entry-row-left-watch", watch, watch_free);
  g_signal_connect (row, "notify::root", G_CALLBACK (root_changed_cb), watch);
  root_changed_cb (row, NULL, watch);
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
