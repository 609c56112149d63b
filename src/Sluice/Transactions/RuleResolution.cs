using Sluice.Rules.Actions;
using Sluice.Rules.Samples;

namespace Sluice.Transactions;

/// <summary>
/// The wait of a `do-resolve` rule (`http-request` or `tcp-request content`): the name's address, as the rule's
/// resolvers section answers it (sharing the resolution of that name with servers and other rules), goes into the
/// rule's variable; a failure leaves it unset.
/// </summary>
internal static class RuleResolution
{
    public static async ValueTask RunAsync(Resolvers.ServerResolutions? resolutions, DoResolveAction rule, string name, SampleContext samples)
    {
        if (resolutions is null || rule.Resolvers is not { Nameservers.Count: > 0 } resolvers)
        {
            return;
        }

        if (await resolutions.ResolveOnceAsync(resolvers, name, rule.PreferIpv4, CancellationToken.None).ConfigureAwait(false) is { } address)
        {
            samples.Variables.Set(rule.Variable, Sample.FromAddress(address));
        }
    }
}
