using System.Globalization;
using Sluice.TestKit.Processes;

namespace Sluice.Integration.Fixtures;

/// <summary>
/// Network namespaces a test makes for itself (`ip netns add`), with veth pairs between them or to the test's
/// namespace, and commands run inside them. Everything made is deleted at dispose; nothing outside is touched
/// except the root end of a veth pair, which goes away with its namespace.
/// </summary>
internal sealed class NetworkNamespaces : IAsyncDisposable
{
    private readonly List<string> _namespaces = [];
    private readonly List<string> _rootLinks = [];

    /// <summary>A short unique tag for names (interface names are limited to 15 characters).</summary>
    public string Tag { get; } = Random.Shared.Next(0x10000, 0xFFFFF).ToString("x", CultureInfo.InvariantCulture);

    /// <summary>A number from 1 to 250 for addresses of this test's subnets.</summary>
    public int Subnet { get; } = Random.Shared.Next(1, 251);

    public static string Ip => CommandRunner.Require("ip", "iproute2");

    public async Task<string> AddAsync(string suffix)
    {
        var name = $"sl{Tag}{suffix}";
        await RunAsync(Ip, "netns", "add", name);
        _namespaces.Add(name);
        await ExecAsync(name, Ip, "link", "set", "lo", "up");
        return name;
    }

    /// <summary>A veth pair: <paramref name="left"/> in namespace <paramref name="leftNamespace"/> (null: the test's own), right in the other.</summary>
    public async Task LinkAsync(string? leftNamespace, string left, string leftAddress, string rightNamespace, string right, string rightAddress)
    {
        await RunAsync(Ip, "link", "add", left, "type", "veth", "peer", "name", right);
        if (leftNamespace is null)
        {
            _rootLinks.Add(left);
        }
        else
        {
            await RunAsync(Ip, "link", "set", left, "netns", leftNamespace);
        }

        await RunAsync(Ip, "link", "set", right, "netns", rightNamespace);
        await InAsync(leftNamespace, Ip, "addr", "add", leftAddress, "dev", left);
        await InAsync(leftNamespace, Ip, "link", "set", left, "up");
        await ExecAsync(rightNamespace, Ip, "addr", "add", rightAddress, "dev", right);
        await ExecAsync(rightNamespace, Ip, "link", "set", right, "up");
    }

    public Task<CommandResult> ExecAsync(string name, params string[] command) => RunAsync(Ip, ["netns", "exec", name, .. command]);

    /// <summary>Runs a command in <paramref name="name"/>, or here when null; fails the test when it fails.</summary>
    public Task<CommandResult> InAsync(string? name, params string[] command) =>
        name is null ? RunAsync(command[0], command[1..]) : ExecAsync(name, command);

    /// <summary>Runs a command, without failing the test on its exit code.</summary>
    public static async Task<CommandResult> TryRunAsync(string file, params string[] arguments) =>
        await CommandRunner.RunAsync(file, arguments, timeout: TestTimeout.Value);

    private static async Task<CommandResult> RunAsync(string file, params string[] arguments)
    {
        var result = await TryRunAsync(file, arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({result.ExitCode}): {result.StandardError}");
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var link in _rootLinks)
        {
            await TryRunAsync(Ip, "link", "del", link);
        }

        foreach (var name in _namespaces)
        {
            await TryRunAsync(Ip, "netns", "del", name);
        }
    }
}
