using System.Globalization;
using System.Text;
using F = Sluice.Stats.StatField;

namespace Sluice.Stats;

/// <summary>
/// The text forms of the stats rows: HAProxy's CSV (the `;csv` page and `show stat`), `show stat typed` and
/// `show stat json`. Values holding a comma or a newline cannot appear (names are config words), so no quoting.
/// </summary>
internal static class StatsCsv
{
    /// <summary>The header line, `# pxname,svname,...,` with its trailing comma as HAProxy prints it.</summary>
    public static string Header { get; } = "# " + string.Join(',', F.Names) + ",";

    public static void Write(StringBuilder output, IEnumerable<StatRow> rows)
    {
        output.Append(Header).Append('\n');
        foreach (var row in rows)
        {
            foreach (var value in row.Values)
            {
                output.Append(value).Append(',');
            }

            output.Append('\n');
        }

        output.Append('\n');
    }

    /// <summary>`show stat typed`: one line per non-empty value, `T.proxy.server.pos.name.process:tags:value`.</summary>
    public static void WriteTyped(StringBuilder output, IEnumerable<StatRow> rows)
    {
        foreach (var row in rows)
        {
            var tags = Tags(row.Type);
            for (var i = 0; i < F.Count; i++)
            {
                if (tags[i] is not { } tag || row.Values[i] is not { } value || (value.Length == 0 && !tag.EndsWith(":str", StringComparison.Ordinal)) || i == F.ModuleSeparator)
                {
                    continue;
                }

                if (value.Length == 0)
                {
                    continue;
                }

                output.Append(Letter(row.Type)).Append('.').Append(row.ProxyId.ToString(CultureInfo.InvariantCulture)).Append('.')
                    .Append(row.ServerId.ToString(CultureInfo.InvariantCulture)).Append('.').Append(F.TypedPosition(i).ToString(CultureInfo.InvariantCulture)).Append('.')
                    .Append(F.Names[i]).Append(".1:").Append(tag).Append(':').Append(value).Append('\n');
            }
        }

        output.Append('\n');
    }

    /// <summary>`show stat json`: HAProxy's array of rows, each an array of field objects.</summary>
    public static void WriteJson(StringBuilder output, IEnumerable<StatRow> rows)
    {
        output.Append('[');
        var firstRow = true;
        foreach (var row in rows)
        {
            if (!firstRow)
            {
                output.Append(',');
            }

            firstRow = false;
            output.Append('[');
            var tags = Tags(row.Type);
            var first = true;
            for (var i = 0; i < F.Count; i++)
            {
                if (tags[i] is not { } tag || row.Values[i] is not { Length: > 0 } value || i == F.ModuleSeparator)
                {
                    continue;
                }

                if (!first)
                {
                    output.Append(',');
                }

                first = false;
                var type = tag[(tag.IndexOf(':', StringComparison.Ordinal) + 1)..];
                output.Append("{\"objType\":\"").Append(ObjectTypeName(row.Type)).Append("\",\"proxyId\":").Append(row.ProxyId.ToString(CultureInfo.InvariantCulture))
                    .Append(",\"id\":").Append(row.ServerId.ToString(CultureInfo.InvariantCulture))
                    .Append(",\"field\":{\"pos\":").Append(F.TypedPosition(i).ToString(CultureInfo.InvariantCulture)).Append(",\"name\":\"").Append(F.Names[i])
                    .Append("\"},\"processNum\":1,\"tags\":{\"origin\":\"").Append(Origin(tag[0])).Append("\",\"nature\":\"").Append(Nature(tag[1]))
                    .Append("\",\"scope\":\"").Append(tag[2] == 'P' ? "Process" : "Service").Append("\"},\"value\":{\"type\":\"").Append(type).Append("\",\"value\":");
                if (type == "str")
                {
                    AppendJsonString(output, value);
                }
                else
                {
                    output.Append(value);
                }

                output.Append("}}");
            }

            output.Append(']');
        }

        output.Append("]\n");
    }

    public static void AppendJsonString(StringBuilder output, string value)
    {
        output.Append('"');
        foreach (var ch in value)
        {
            switch (ch)
            {
                case '"':
                    output.Append("\\\"");
                    break;
                case '\\':
                    output.Append("\\\\");
                    break;
                case < ' ':
                    output.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    output.Append(ch);
                    break;
            }
        }

        output.Append('"');
    }

    private static string?[] Tags(StatObjectType type) => type switch
    {
        StatObjectType.Frontend => F.FrontendTags,
        StatObjectType.Backend => F.BackendTags,
        StatObjectType.Listener => F.ListenerTags,
        _ => F.ServerTags,
    };

    private static char Letter(StatObjectType type) => type switch
    {
        StatObjectType.Frontend => 'F',
        StatObjectType.Backend => 'B',
        StatObjectType.Listener => 'L',
        _ => 'S',
    };

    private static string ObjectTypeName(StatObjectType type) => type switch
    {
        StatObjectType.Frontend => "Frontend",
        StatObjectType.Backend => "Backend",
        StatObjectType.Listener => "Listener",
        _ => "Server",
    };

    private static string Origin(char tag) => tag switch
    {
        'M' => "Metric",
        'S' => "Status",
        'K' => "Key",
        'C' => "Config",
        'P' => "Product",
        _ => "Unknown",
    };

    private static string Nature(char tag) => tag switch
    {
        'G' => "Gauge",
        'L' => "Limit",
        'M' => "Max",
        'R' => "Rate",
        'C' => "Counter",
        'D' => "Duration",
        'A' => "Age",
        'T' => "Time",
        'N' => "Name",
        'O' => "Output",
        _ => "Avg",
    };
}
