package cli

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/epicevents/epicevents/internal/crm"
)

// Messages in the CLI's words. The service and the API name fields by their
// JSON names (total_amount); the CLI names the flag that sets them (--total).
// This file is the one place that turns one into the other, and that turns
// the flag parser's and cobra's messages into sentences without Go in them.

// fieldFlags names the flag of each JSON field whose flag is not simply the
// field with dashes (first_name → --first-name is found without the table).
// A message names the flag only where the command has it (see fieldName).
var fieldFlags = map[string]string{
	"company_name":       "company",
	"total_amount":       "total",
	"amount_due":         "due",
	"sales_contact_id":   "sales-contact",
	"support_contact_id": "support",
	"client_id":          "client",
	"contract_id":        "contract",
	"actor_id":           "actor",
	"entity_id":          "id",
	"received_on":        "on",
	"payment_id":         "payment",
	"refund_of":          "payment",
}

// fieldName names field as the user of cmd knows it: its flag ("--total")
// when the command has one and it was given, or is required; the command's
// argument ("client id") for "id" when it has no such flag; else the field
// in words ("new password", or "amount due" when --total made it too high).
func fieldName(cmd *cobra.Command, field string, required bool) (name string, isFlag bool) {
	flag := fieldFlags[field]
	if flag == "" {
		flag = strings.ReplaceAll(field, "_", "-")
	}
	if f := lookupFlag(cmd, flag); f != nil && (f.Changed || required) {
		return "--" + flag, true
	}
	if field == "id" {
		if noun := commandNoun(cmd); noun != "" {
			return noun + " id", false
		}
	}
	return strings.ReplaceAll(field, "_", " "), false
}

func lookupFlag(cmd *cobra.Command, name string) *pflag.Flag {
	if cmd == nil {
		return nil
	}
	return cmd.Flags().Lookup(name)
}

// commandNoun is the entity a command acts on, from its group: "client"
// for `clients show`; "" for a command outside a group.
func commandNoun(cmd *cobra.Command) string {
	if cmd == nil || !cmd.HasParent() || !cmd.Parent().HasParent() {
		return ""
	}
	return strings.TrimSuffix(cmd.Parent().Name(), "s")
}

// inCLIWords rewrites an invalid-input error whose message lists its fields
// by their JSON names (as crm.Invalid and crm.Validator write it) so that it
// names the command's flags instead: "invalid total_amount: must be more
// than 0" becomes "--total: must be more than 0". Any other message is
// already a sentence of its own and is kept.
func inCLIWords(cmd *cobra.Command, e *crm.Error) string {
	msg := e.Error()
	if e.Code != crm.CodeInvalid || len(e.Fields) == 0 {
		return msg
	}
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	listed := strings.Join(parts, "; ")
	if msg != "invalid "+listed && msg != "invalid input: "+listed {
		return msg
	}
	var missing []string // required flags not given, or given empty
	parts = parts[:0]
	for _, f := range e.Fields {
		m := f.Message
		name, isFlag := fieldName(cmd, f.Field, strings.HasPrefix(m, "is required"))
		if !isFlag {
			parts = append(parts, "invalid "+name+": "+m)
			continue
		}
		// "is required (--client ID)": the flag is named already.
		if j := strings.LastIndex(m, " ("+name); j > 0 && strings.HasSuffix(m, ")") {
			m = m[:j]
		}
		if m == "is required" {
			missing = append(missing, name)
		} else {
			parts = append(parts, name+": "+m)
		}
	}
	if len(missing) > 0 {
		help := "epicevents"
		if cmd != nil {
			help = cmd.CommandPath()
		}
		verb := " is required"
		if len(missing) > 1 {
			verb = " are required"
		}
		parts = append([]string{andList(missing) + verb}, parts...)
		parts = append(parts, "see "+help+" --help")
	}
	return strings.Join(parts, "; ")
}

// andList writes "a", "a and b" or "a, b and c".
func andList(items []string) string {
	return joinList(items, "and")
}

// orList writes "a", "a or b" or "a, b or c".
func orList(items []string) string {
	return joinList(items, "or")
}

func joinList(items []string, last string) string {
	n := len(items)
	if n <= 1 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:n-1], ", ") + " " + last + " " + items[n-1]
}

// usageMessage is the sentence for an error of the command line itself (an
// unknown command or flag, a bad flag value, missing arguments): it says
// what is wrong and, unless it already does, where the command's help is.
func usageMessage(cmd *cobra.Command, err error) string {
	help := "epicevents"
	if cmd != nil {
		help = cmd.CommandPath()
	}
	msg := err.Error()
	var fe flagError
	if errors.As(err, &fe) {
		help, msg = fe.command, flagMessage(fe.err)
	}
	if strings.Contains(msg, "--help") || strings.HasSuffix(msg, "?") {
		return msg
	}
	return msg + "; see " + help + " --help"
}

// flagMessage turns an error of the flag parser into a sentence that names
// the flag and the value, without Go's parse errors.
func flagMessage(err error) string {
	var invalid *pflag.InvalidValueError
	var missing *pflag.ValueRequiredError
	switch {
	case errors.As(err, &invalid):
		f, v := invalid.GetFlag(), invalid.GetValue()
		name := "--" + f.Name
		var num *strconv.NumError
		isRange := errors.As(err, &num) && errors.Is(num.Err, strconv.ErrRange)
		switch t := f.Value.Type(); {
		case t == "bool":
			return fmt.Sprintf("%s: %q is not true or false (%s alone means true)", name, v, name)
		case isRange && strings.HasPrefix(strings.TrimSpace(v), "-"):
			return fmt.Sprintf("%s: %q is too small", name, v)
		case isRange:
			return fmt.Sprintf("%s: %q is too large", name, v)
		case strings.HasPrefix(t, "uint"):
			return fmt.Sprintf("%s: %q is not a whole number of 0 or more", name, v)
		case strings.HasPrefix(t, "int"):
			return fmt.Sprintf("%s: %q is not a whole number", name, v)
		}
		return fmt.Sprintf("%s: %q is not a valid value", name, v)
	case errors.As(err, &missing):
		if missing.GetSpecifiedShortnames() != "" {
			return "-" + missing.GetSpecifiedName() + " needs a value"
		}
		return "--" + missing.GetSpecifiedName() + " needs a value"
	}
	return err.Error()
}

// argsName says what a command's arguments are, from its Use line: "show
// ID" in the group clients gives "the client's id"; "migrate up|down|status"
// gives "up, down or status".
func argsName(cmd *cobra.Command) string {
	words := strings.Fields(cmd.Use)
	if len(words) < 2 || strings.HasPrefix(words[1], "[") || strings.HasPrefix(words[1], "-") {
		return "an argument"
	}
	alts := strings.Split(words[1], "|")
	placeholder := true
	for i, w := range alts {
		if w != strings.ToUpper(w) {
			placeholder = false // literal words such as "up"
		}
		alts[i] = strings.ToLower(w)
	}
	list := orList(alts)
	if noun := commandNoun(cmd); placeholder && noun != "" {
		return "the " + noun + "'s " + list
	}
	return list
}

// noArgs refuses arguments to a command that takes none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// exactArgs wants n arguments, and names what is missing.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return fmt.Errorf("missing %s", argsName(cmd))
		case len(args) > n:
			return fmt.Errorf("too many arguments: %s takes only %s, got %d", cmd.CommandPath(), argsName(cmd), len(args))
		}
		return nil
	}
}

// validArgs wants each argument to be one of the command's ValidArgs.
func validArgs(cmd *cobra.Command, args []string) error {
	for _, a := range args {
		if !slices.Contains(cmd.ValidArgs, a) {
			return fmt.Errorf("%q is not %s", a, argsName(cmd))
		}
	}
	return nil
}

// group makes a command that only holds subcommands refuse an unknown
// subcommand (exit 2), suggesting the closest ones, instead of printing its
// help and succeeding. Without arguments it prints its help.
func group(cmd *cobra.Command) *cobra.Command {
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		if c.SuggestionsMinimumDistance <= 0 {
			c.SuggestionsMinimumDistance = 2
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			for i := range s {
				s[i] = strconv.Quote(s[i])
			}
			msg += "; did you mean " + orList(s) + "?"
		}
		return errors.New(msg)
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	return cmd
}
