using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Sluice.Tls;

/// <summary>
/// Renders X.500 names as HAProxy does: OpenSSL's one-line form `/C=FR/O=HAProxy/CN=client` by default, RFC 2253
/// (`CN=client,O=HAProxy,C=FR`) on request, or one entry's value (`ssl_c_s_dn(CN)`, the Nth from the start with a
/// positive occurrence, from the end with a negative one).
/// </summary>
internal static class DistinguishedNames
{
    private static readonly Dictionary<string, string> ShortNames = new(StringComparer.Ordinal)
    {
        ["2.5.4.3"] = "CN", ["2.5.4.4"] = "SN", ["2.5.4.5"] = "serialNumber", ["2.5.4.6"] = "C", ["2.5.4.7"] = "L",
        ["2.5.4.8"] = "ST", ["2.5.4.9"] = "street", ["2.5.4.10"] = "O", ["2.5.4.11"] = "OU", ["2.5.4.12"] = "title",
        ["2.5.4.17"] = "postalCode", ["2.5.4.41"] = "name", ["2.5.4.42"] = "GN", ["2.5.4.43"] = "initials",
        ["2.5.4.46"] = "dnQualifier", ["2.5.4.65"] = "pseudonym", ["1.2.840.113549.1.9.1"] = "emailAddress",
        ["0.9.2342.19200300.100.1.1"] = "UID", ["0.9.2342.19200300.100.1.25"] = "DC",
    };

    public static string? Render(X500DistinguishedName name, string? entry, int occurrence, bool rfc2253)
    {
        var parts = new List<(string Type, string Value)>();
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames(reversed: false))
        {
            if (rdn.HasMultipleElements)
            {
                continue;
            }

            var oid = rdn.GetSingleElementType().Value ?? string.Empty;
            parts.Add((ShortNames.TryGetValue(oid, out var shortName) ? shortName : oid, rdn.GetSingleElementValue() ?? string.Empty));
        }

        if (entry is not null)
        {
            return Entry(parts, entry, occurrence);
        }

        var text = new StringBuilder();
        if (rfc2253)
        {
            for (var i = parts.Count - 1; i >= 0; i--)
            {
                if (text.Length > 0)
                {
                    text.Append(',');
                }

                text.Append(parts[i].Type).Append('=');
                AppendRfc2253Value(text, parts[i].Value);
            }
        }
        else
        {
            foreach (var (type, value) in parts)
            {
                text.Append('/').Append(type).Append('=').Append(value);
            }
        }

        return text.ToString();
    }

    private static string? Entry(List<(string Type, string Value)> parts, string entry, int occurrence)
    {
        var seen = 0;
        var step = occurrence >= 0 ? 1 : -1;
        var wanted = Math.Max(1, Math.Abs(occurrence));
        for (var i = step > 0 ? 0 : parts.Count - 1; i >= 0 && i < parts.Count; i += step)
        {
            if (string.Equals(parts[i].Type, entry, StringComparison.OrdinalIgnoreCase) && ++seen == wanted)
            {
                return parts[i].Value;
            }
        }

        return null;
    }

    /// <summary>RFC 2253 §2.4: escape the specials, a leading `#` or space and a trailing space.</summary>
    private static void AppendRfc2253Value(StringBuilder text, string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c is ',' or '+' or '"' or '\\' or '<' or '>' or ';'
                || (i == 0 && c is '#' or ' ')
                || (i == value.Length - 1 && c == ' '))
            {
                text.Append('\\');
            }

            text.Append(c);
        }
    }
}
