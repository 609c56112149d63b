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
    /// <summary>
    /// Runs `tcp-request content` rules from the first: a `do-resolve` rule that has a name stops them, the name is
    /// resolved (only when <paramref name="mayWait"/>: the rules' `inspect-delay` is set; without it HAProxy cannot
    /// wait and the rule does nothing), and the rules go on after it. The verdict of the rules that decided.
    /// </summary>
    public static async ValueTask<TcpVerdict> RunContentRulesAsync(IReadOnlyList<TcpRule> rules, SampleContext samples, Resolvers.ServerResolutions? resolutions, bool mayWait)
    {
        TcpVerdict verdict;
        var start = 0;
        while ((verdict = TcpRuleRunner.Run(rules, samples, start, out var stoppedAt, out var name)) == TcpVerdict.Resolve)
        {
            if (mayWait)
            {
                await RunAsync(resolutions, rules[stoppedAt].Resolve!, name!, samples).ConfigureAwait(false);
            }

            start = stoppedAt + 1;
        }

        return verdict;
    }

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
