using System.Net;
using Sluice.Backends;
using Sluice.Config.Model;

namespace Sluice.Tests.Backends;

public class RetryPolicyTests
{
    // Each row: retries, redispatch (int.MinValue = off), algorithm, usable active servers, then the decision
    // expected after each failed attempt: S = same server, R = redispatch, G = give up.
    [Theory]
    [InlineData(3, int.MinValue, BalanceAlgorithmValue.Source, 1, "SSSG")]
    [InlineData(0, int.MinValue, BalanceAlgorithmValue.RoundRobin, 2, "G")]
    [InlineData(3, -1, BalanceAlgorithmValue.Source, 2, "SSRG")]
    [InlineData(2, -1, BalanceAlgorithmValue.Source, 2, "SRG")]
    [InlineData(3, 1, BalanceAlgorithmValue.Source, 2, "RRRG")]
    [InlineData(4, 2, BalanceAlgorithmValue.Source, 2, "SRSRG")]
    [InlineData(4, -2, BalanceAlgorithmValue.Source, 2, "SSRSG")]
    [InlineData(3, -1, BalanceAlgorithmValue.RoundRobin, 1, "SSRG")]
    [InlineData(3, -1, BalanceAlgorithmValue.RoundRobin, 2, "RRRG")]
    [InlineData(3, -1, BalanceAlgorithmValue.Random, 2, "SSRG")]
    [InlineData(2, -5, BalanceAlgorithmValue.Source, 2, "SSG")]
    public void Decide_Sequence_HaproxyRules(int retries, int redispatch, BalanceAlgorithmValue algorithm, int active, string expected)
    {
        var backend = Backend(retries, redispatch == int.MinValue ? null : redispatch, (BalanceAlgorithm)algorithm);
        var decisions = new char[expected.Length];
        for (var done = 0; done < expected.Length; done++)
        {
            decisions[done] = RetryPolicy.Decide(backend, done, serverUsable: true, active) switch
            {
                RetryDecision.RetrySameServer => 'S',
                RetryDecision.Redispatch => 'R',
                _ => 'G',
            };
        }

        Assert.Equal(expected, new string(decisions));
    }

    [Fact]
    public void Decide_ServerDownWithRedispatch_Redispatch() =>
        Assert.Equal(RetryDecision.Redispatch, RetryPolicy.Decide(Backend(3, 3, BalanceAlgorithm.Source), 0, serverUsable: false, 2));

    [Fact]
    public void Decide_ServerDownWithoutRedispatch_SameServer() =>
        Assert.Equal(RetryDecision.RetrySameServer, RetryPolicy.Decide(Backend(3, null, BalanceAlgorithm.Source), 0, serverUsable: false, 2));

    [Theory]
    [InlineData(null, false, 100)]
    [InlineData(50, false, 50)]
    [InlineData(5000, false, 100)]
    [InlineData(50, true, 0)]
    public void TurnAroundDelay_ConnectTimeout_Bounded(int? connectMs, bool timedOut, int expectedMs) =>
        Assert.Equal(
            TimeSpan.FromMilliseconds(expectedMs),
            RetryPolicy.TurnAroundDelay(connectMs is int ms ? TimeSpan.FromMilliseconds(ms) : null, timedOut));

    private static BackendConfig Backend(int retries, int? redispatch, BalanceAlgorithm algorithm) => new()
    {
        Name = "be",
        Location = "t:1",
        Id = 1,
        Retries = retries,
        Redispatch = redispatch,
        Balance = new BalanceConfig(algorithm),
        Servers =
        [
            new ServerConfig
            {
                Name = "s1", Location = "t:2", Id = 1,
                Address = new InetServerAddress { Text = "127.0.0.1:1", Address = IPAddress.Loopback, Port = 1 },
            },
        ],
    };

    public enum BalanceAlgorithmValue
    {
        RoundRobin = 0, StaticRoundRobin = 1, LeastConn = 2, First = 3, Source = 4, Random = 5,
    }
}
