using System.Globalization;
using System.Text;
using Sluice.Backends;

namespace Sluice.RuntimeApi;

/// <summary>
/// `show table`, `clear table` and `set table` (management.txt §9.3), with HAProxy's output and messages: a table's
/// header line, then one line per entry with its key, trackers, time to expiry and stored data in HAProxy's order.
/// </summary>
internal static class StickTableCommands
{
    private const int MaxFilters = 4;

    private enum Comparison
    {
        Eq,
        Ne,
        Le,
        Ge,
        Lt,
        Gt,
    }

    private readonly record struct Filter(StickDataType Type, Comparison Comparison, long Value);

    public static void Show(CliRequest request, StringBuilder output)
    {
        var tables = Tables(request.Hub);
        if (request.Arg(2) is not { } name)
        {
            foreach (var table in tables)
            {
                Header(table, output);
            }

            return;
        }

        if (Find(tables, name, output) is not { } found || ParseSelection(request, found, output, out var key, out var filters) is not { } selection)
        {
            return;
        }

        var now = Environment.TickCount64;
        if (selection == Selection.Key)
        {
            if (key is { } k && found.Find(k) is { } entry)
            {
                Header(found, output);
                Line(entry, now, output);
            }

            return;
        }

        Header(found, output);
        // HAProxy walks its tree of keys: entries come in the order of their keys.
        var entries = new List<StickEntry>(found.Entries);
        entries.Sort(static (a, b) => a.Key.Text is { } text ? string.CompareOrdinal(text, b.Key.Text) : a.Key.Number.CompareTo(b.Key.Number));
        foreach (var entry in entries)
        {
            if (Matches(entry, filters, now))
            {
                Line(entry, now, output);
            }
        }
    }

    public static void Clear(CliRequest request, StringBuilder output)
    {
        var tables = Tables(request.Hub);
        if (request.Arg(2) is not { } name)
        {
            output.Append("Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> key <key>\n");
            return;
        }

        if (Find(tables, name, output) is not { } found || ParseSelection(request, found, output, out var key, out var filters) is not { } selection)
        {
            return;
        }

        if (selection == Selection.Key)
        {
            if (key is { } k && found.Find(k) is { } entry && !found.TryRemove(entry))
            {
                output.Append("Entry currently in use, cannot remove\n");
            }

            return;
        }

        var now = Environment.TickCount64;
        foreach (var entry in found.Entries)
        {
            if (Matches(entry, filters, now))
            {
                found.TryRemove(entry);
            }
        }
    }

    public static void Set(CliRequest request, StringBuilder output)
    {
        var tables = Tables(request.Hub);
        if (request.Arg(2) is not { } name)
        {
            output.Append("Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n");
            return;
        }

        if (Find(tables, name, output) is not { } found || request.Arg(3) is not { } word)
        {
            return;
        }

        if (word != "key")
        {
            output.Append(word.StartsWith("data.", StringComparison.Ordinal)
                ? "content-based lookup is only supported with the \"show\" and \"clear\" actions\n"
                : "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n");
            return;
        }

        if (request.Arg(4) is not { } text)
        {
            output.Append("Key value expected\n");
            return;
        }

        if (!found.TryParseKey(text, out var key))
        {
            if (found.Config.Type == StickKeyType.Binary)
            {
                output.Append("Inserting keys into tables of type other than ip, ipv6, string and integer is not supported\n");
            }
            else if (found.Config.Type != StickKeyType.Ip)
            {
                output.Append("Invalid key\n");
            }

            return;
        }

        // As in HAProxy, the entry exists from here even when a later word is wrong, and each value is written as
        // it is read.
        var now = Environment.TickCount64;
        if (found.GetOrCreate(key, now) is not { } entry)
        {
            output.Append("Unable to allocate a new entry\n");
            return;
        }

        for (var i = 5; i < request.Args.Count; i += 2)
        {
            var data = request.Args[i];
            if (!data.StartsWith("data.", StringComparison.Ordinal) || !StickData.TryParse(data[5..], out var type, withArrays: true))
            {
                output.Append("Unknown data type\n");
                return;
            }

            if (!StickData.IsStored(found.Config, type))
            {
                output.Append("Data type not stored in this table\n");
                return;
            }

            if (!long.TryParse(request.Arg(i + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                output.Append("Require a valid integer value to store\n");
                return;
            }

            if (!StickData.IsArray(type))
            {
                entry.Write(type, now, value);
            }
        }
    }

    private enum Selection
    {
        All,
        Key,
    }

    /// <summary>`key K` or up to four `data.TYPE OP VALUE` filters after the table's name; null after an error was written.</summary>
    private static Selection? ParseSelection(CliRequest request, StickTable table, StringBuilder output, out StickKey? key, out List<Filter> filters)
    {
        key = null;
        filters = [];
        if (request.Arg(3) is not { } first)
        {
            return Selection.All;
        }

        if (first == "key")
        {
            if (request.Arg(4) is not { } text)
            {
                output.Append("Key value expected\n");
                return null;
            }

            if (table.TryParseKey(text, out var parsed))
            {
                key = parsed;
            }
            else if (table.Config.Type == StickKeyType.Binary)
            {
                output.Append(request.Arg(0) == "clear" ? "Removing" : "Showing")
                    .Append(" keys from tables of type other than ip, ipv6, string and integer is not supported\n");
                return null;
            }
            else if (table.Config.Type != StickKeyType.Ip)
            {
                output.Append("Invalid key\n");
                return null;
            }

            return Selection.Key;
        }

        if (!first.StartsWith("data.", StringComparison.Ordinal))
        {
            output.Append("Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n");
            return null;
        }

        for (var i = 3; i < request.Args.Count; i += 3)
        {
            var number = filters.Count + 1;
            if (filters.Count == MaxFilters)
            {
                // HAProxy counts the words of the whole command line, from one.
                output.Append(CultureInfo.InvariantCulture, $"Detected extra data in filter, {Ordinal(i + 1)} word of input, after '{request.Args[i - 1]}'\n");
                return null;
            }

            var data = request.Args[i];
            if (!data.StartsWith("data.", StringComparison.Ordinal) || !StickData.TryParse(data[5..], out var type))
            {
                output.Append(CultureInfo.InvariantCulture, $"Filter entry #{number}: Unknown data type\n");
                return null;
            }

            if (!StickData.IsStored(table.Config, type))
            {
                output.Append(CultureInfo.InvariantCulture, $"Filter entry #{number}: Data type not stored in this table\n");
                return null;
            }

            Comparison? comparison = request.Arg(i + 1) switch
            {
                "eq" => Comparison.Eq,
                "ne" => Comparison.Ne,
                "le" => Comparison.Le,
                "ge" => Comparison.Ge,
                "lt" => Comparison.Lt,
                "gt" => Comparison.Gt,
                _ => null,
            };
            if (comparison is null)
            {
                output.Append(CultureInfo.InvariantCulture, $"Filter entry #{number}: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n");
                return null;
            }

            if (!long.TryParse(request.Arg(i + 2), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                output.Append(CultureInfo.InvariantCulture, $"Filter entry #{number}: Require a valid integer value to compare against\n");
                return null;
            }

            filters.Add(new Filter(type, comparison.Value, value));
        }

        return Selection.All;
    }

    private static string Ordinal(int n) => n.ToString(CultureInfo.InvariantCulture) + ((n % 100) is 11 or 12 or 13 ? "th" : (n % 10) switch
    {
        1 => "st",
        2 => "nd",
        3 => "rd",
        _ => "th",
    });

    private static bool Matches(StickEntry entry, List<Filter> filters, long now)
    {
        foreach (var filter in filters)
        {
            var value = entry.Read(filter.Type, now);
            var holds = filter.Comparison switch
            {
                Comparison.Eq => value == filter.Value,
                Comparison.Ne => value != filter.Value,
                Comparison.Le => value <= filter.Value,
                Comparison.Ge => value >= filter.Value,
                Comparison.Lt => value < filter.Value,
                _ => value > filter.Value,
            };
            if (!holds)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The tables of the running configuration, as HAProxy lists them: the last declared first.</summary>
    private static List<(int Id, StickTable Table)> Tables(Stats.StatsHub hub)
    {
        var tables = new List<(int Id, StickTable Table)>();
        foreach (var frontend in hub.Frontends)
        {
            if (frontend.Config.StickTable is { } table)
            {
                tables.Add((frontend.Config.Id, table));
            }
        }

        foreach (var backend in hub.Backends)
        {
            if (backend.Config.StickTable is { } table && !tables.Exists(t => ReferenceEquals(t.Table, table)))
            {
                tables.Add((backend.Config.Id, table));
            }
        }

        tables.Sort((a, b) => b.Id.CompareTo(a.Id));
        return tables;
    }

    private static StickTable? Find(List<(int Id, StickTable Table)> tables, string name, StringBuilder output)
    {
        foreach (var (_, table) in tables)
        {
            if (table.Config.Name == name)
            {
                return table;
            }
        }

        output.Append("No such table\n");
        return null;
    }

    private static void Header((int Id, StickTable Table) table, StringBuilder output) => Header(table.Table, output);

    private static void Header(StickTable table, StringBuilder output)
    {
        var type = table.Config.Type switch
        {
            StickKeyType.Ipv6 => "ipv6",
            StickKeyType.Integer => "integer",
            StickKeyType.String => "string",
            StickKeyType.Binary => "binary",
            _ => "ip",
        };
        output.Append(CultureInfo.InvariantCulture, $"# table: {table.Config.Name}, type: {type}, size:{table.Config.Size}, used:{table.Count}\n");
    }

    /// <summary>`gpt0=V gpt1=V`, `gpc0=V ...`, `gpc0_rate(P)=V ...`, as HAProxy prints arrays.</summary>
    private static void ArrayElements(StickEntry entry, StickDataType type, long period, long now, StringBuilder output)
    {
        for (var i = 0; i < StickData.ArrayLength(entry.Table.Config, type); i++)
        {
            var value = type switch
            {
                StickDataType.Gpt => entry.ReadGpt(i),
                StickDataType.Gpc => entry.ReadGpc(i),
                _ => entry.ReadGpcRate(i, now, array: true),
            };
            if (type == StickDataType.GpcRate)
            {
                output.Append(CultureInfo.InvariantCulture, $" gpc{i}_rate({period})={value}");
            }
            else
            {
                output.Append(CultureInfo.InvariantCulture, $" {StickData.NameOf(type)}{i}={value}");
            }
        }
    }

    private static void Line(StickEntry entry, long now, StringBuilder output)
    {
        var config = entry.Table.Config;
        var expire = config.ExpireMs >= long.MaxValue / 4 ? 0 : Math.Max(0, Volatile.Read(ref entry.ExpiresMs) - now);
        output.Append(CultureInfo.InvariantCulture, $"0x{entry.Id:x12}: key={entry.Table.FormatKey(entry.Key)} use={Math.Max(0, Volatile.Read(ref entry.RefCount))} exp={expire}");
        foreach (var type in StickData.All)
        {
            if (!StickData.IsStored(config, type))
            {
                continue;
            }

            var period = StickData.PeriodOf(config, type);
            if (StickData.IsArray(type))
            {
                ArrayElements(entry, type, period, now, output);
                continue;
            }

            output.Append(' ').Append(StickData.NameOf(type));
            if (period > 0)
            {
                output.Append(CultureInfo.InvariantCulture, $"({period})");
            }

            if (type == StickDataType.ServerKey)
            {
                output.Append('=').Append(Volatile.Read(ref entry.ServerKey));
                continue;
            }

            output.Append(CultureInfo.InvariantCulture, $"={entry.Read(type, now)}");
        }

        output.Append('\n');
    }
}
