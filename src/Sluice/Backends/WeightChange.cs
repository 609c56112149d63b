using System.Globalization;

namespace Sluice.Backends;

/// <summary>
/// A request to change a server's weight at run time (`set weight`, `set server ... weight`, an SRV record's weight):
/// `N` absolute (0 to 256) or `N%` of the configured weight, as HAProxy's server_parse_weight_change_request. A
/// backend whose algorithm keeps a static table (`static-rr`, map-based hashing) takes only 0 and the configured
/// weight, as HAProxy's algorithms without BE_LB_PROP_DYN.
/// </summary>
internal static class WeightChange
{
    /// <summary>Applies <paramref name="text"/> to <paramref name="server"/>; returns HAProxy's complaint, or null when applied.</summary>
    public static string? Apply(ServerState server, string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "Require <weight> or <weight%>.\n";
        }

        int weight;
        if (text.EndsWith('%'))
        {
            if (!int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var percent) || percent < 0)
            {
                return "Relative weight must be positive.\n";
            }

            weight = (int)Math.Min(256, (long)server.InitialWeight * Math.Min(percent, 25600) / 100);
        }
        else if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out weight) || weight is < 0 or > 256)
        {
            return "Absolute weight can only be between 0 and 256 inclusive.\n";
        }

        if (weight != 0 && weight != server.InitialWeight && !Balancing.BalancerFactory.HasDynamicWeights(server.Backend.Config))
        {
            return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n";
        }

        server.Weight = weight;
        return null;
    }
}
