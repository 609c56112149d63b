using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Sluice.Backends;
using Sluice.Config.Diagnostics;
using Sluice.Config.Model;
using Sluice.Logging;
using Sluice.Timers;
using Sluice.Transport;

namespace Sluice.Checks;

/// <summary>
/// `agent-check`: every `agent-inter` (driven by the heartbeat, like <see cref="HealthChecker"/>) connects to the
/// server's agent, sends `agent-send`, and reads one line of words separated by spaces, tabs or commas
/// (configuration.txt, "agent-check"): a health word (up, down, stopped, fail), an admin word (ready, drain,
/// maint), a weight (`75%`, of the configured weight), `maxconn:N`; the last word of a kind wins, and a `#`
/// starts a description. An agent that cannot be reached changes nothing: the health check tests the server.
/// </summary>
internal sealed class AgentChecker : IHeartbeatTarget
{
    private const int MaxLine = 1024;

    private readonly ServerState _server;
    private readonly BackendState _backend;
    private readonly HealthChecker? _health;
    private readonly Heartbeat _heartbeat;
    private readonly TextWriter _log;
    private readonly byte[]? _send;
    private readonly long _interMs;
    private long _dueMs;
    private long _deadlineMs = long.MaxValue;
    private int _running;
    private volatile bool _stopped;
    private CancellationTokenSource? _cancel;

    /// <param name="health">The server's health checker, whose health the agent's health words set; null without `check`.</param>
    public AgentChecker(ServerState server, BackendState backend, HealthChecker? health, Heartbeat heartbeat, TextWriter log, long firstDueMs)
    {
        _server = server;
        _backend = backend;
        _health = health;
        _heartbeat = heartbeat;
        _log = log;
        _dueMs = firstDueMs;
        var check = server.Config.Check;
        _interMs = (long)(check.AgentInter ?? check.Inter).TotalMilliseconds;
        _send = check.AgentSend is { Length: > 0 } send ? Encoding.Latin1.GetBytes(send) : null;
    }

    /// <summary>`agent-addr`, else the health checks' address at the time of the check, which `set server addr` changes.</summary>
    private IPEndPoint ResolveEndPoint()
    {
        var check = _server.Config.Check;
        var address = check.AgentAddress ?? (HealthChecker.ResolveEndPoint(_server) is IPEndPoint ip ? ip.Address : IPAddress.Loopback);
        return new IPEndPoint(address, check.AgentPort);
    }

    public void OnHeartbeat(long nowMs)
    {
        if (_stopped)
        {
            return;
        }

        if (Volatile.Read(ref _running) == 0)
        {
            if (nowMs >= Volatile.Read(ref _dueMs))
            {
                Volatile.Write(ref _running, 1);
                Volatile.Write(ref _deadlineMs, nowMs + _interMs);
                _ = Task.Run(RunAsync);
            }

            return;
        }

        if (nowMs >= Volatile.Read(ref _deadlineMs) && Volatile.Read(ref _cancel) is { } cancel)
        {
            Volatile.Write(ref _deadlineMs, long.MaxValue);
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.Cancel(), cancel, preferLocal: false);
        }
    }

    public void Stop()
    {
        _stopped = true;
        Volatile.Read(ref _cancel)?.Cancel();
    }

    private async Task RunAsync()
    {
        using var cancel = new CancellationTokenSource();
        Volatile.Write(ref _cancel, cancel);
        var started = _heartbeat.Refresh();
        var line = await ReadLineAsync(cancel.Token).ConfigureAwait(false);
        Volatile.Write(ref _cancel, null);
        var now = _heartbeat.Refresh();
        if (!_stopped && line is not null)
        {
            Apply(line, Math.Max(0, now - started));
        }

        Volatile.Write(ref _dueMs, now + _interMs);
        Volatile.Write(ref _running, 0);
    }

    /// <summary>The agent's line up to its first CR or LF (or the end of the stream); null when the agent could not be read.</summary>
    private async Task<string?> ReadLineAsync(CancellationToken cancellation)
    {
        var endPoint = ResolveEndPoint();
        using var socket = ServerConnector.CreateSocket(endPoint);
        var buffer = new byte[MaxLine];
        var length = 0;
        try
        {
            await socket.ConnectAsync(endPoint, cancellation).ConfigureAwait(false);
            if (_send is not null)
            {
                await socket.SendAsync(_send, SocketFlags.None, cancellation).ConfigureAwait(false);
            }

            while (length < buffer.Length)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellation).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (buffer.AsSpan(0, length).IndexOfAny((byte)'\r', (byte)'\n') >= 0)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            return null;
        }

        var text = buffer.AsSpan(0, length);
        var end = text.IndexOfAny((byte)'\r', (byte)'\n');
        return Encoding.Latin1.GetString(end < 0 ? text : text[..end]);
    }

    /// <summary>Applies one reply: admin state first, then weight and maxconn, then health (HAProxy's order).</summary>
    internal void Apply(string line, long durationMs)
    {
        string? health = null, admin = null, weight = null, maxConn = null;
        var words = line;
        var hash = line.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            words = line[..hash];
        }

        foreach (var word in words.Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries))
        {
            switch (word.ToLowerInvariant())
            {
                case "up" or "down" or "stopped" or "fail":
                    health = word.ToLowerInvariant();
                    break;
                case "ready" or "drain" or "maint":
                    admin = word.ToLowerInvariant();
                    break;
                default:
                    if (char.IsAsciiDigit(word[0]) && word.Contains('%', StringComparison.Ordinal))
                    {
                        weight = word;
                    }
                    else if (word.StartsWith("maxconn:", StringComparison.OrdinalIgnoreCase))
                    {
                        maxConn = word["maxconn:".Length..];
                    }

                    break;
            }
        }

        if (admin is not null)
        {
            SetAdmin(admin switch { "drain" => ServerAdminState.Drain, "maint" => ServerAdminState.Maint, _ => ServerAdminState.Ready });
        }

        if (weight is not null && int.TryParse(weight.AsSpan(0, weight.IndexOf('%', StringComparison.Ordinal)), NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
        {
            // configuration.txt: a percentage of the weight the server was configured with.
            _server.Weight = Math.Min(256, _server.InitialWeight * percent / 100);
        }

        if (maxConn is not null && int.TryParse(maxConn, NumberStyles.None, CultureInfo.InvariantCulture, out var limit))
        {
            _server.MaxConn = limit;
        }

        if (health is null)
        {
            return;
        }

        var description = hash >= 0 ? line[(hash + 1)..].Trim(' ', '\t') : string.Empty;
        var info = $"via agent : {health}{(description.Length > 0 ? $" ({description})" : string.Empty)}";
        var up = health == "up";
        var result = new CheckResult(up ? CheckStatus.L7Ok : CheckStatus.L7Status, 0, info, durationMs);
        if (_health is not null)
        {
            _health.ApplyAgent(up, result);
        }
        else
        {
            lock (_backend.StateChanges)
            {
                if (_server.IsUp != up)
                {
                    _server.IsUp = up;
                    CheckLog.WriteStateChange(_server, _backend, result, _log);
                }
            }
        }
    }

    /// <summary>The admin word of a reply, logged as HAProxy logs the change.</summary>
    private void SetAdmin(ServerAdminState state)
    {
        lock (_backend.StateChanges)
        {
            var before = _server.AdminState;
            if (before == state)
            {
                return;
            }

            _server.AdminState = state;
            var message = state switch
            {
                ServerAdminState.Drain => CheckLog.EntersDrain(_server, _backend),
                ServerAdminState.Maint => CheckLog.GoingDownForMaintenance(_server, _backend),
                _ => CheckLog.LeavesAdminState(_server, _backend, before),
            };
            CheckLog.Write(_backend, _log, DiagnosticSeverity.Warning, message, state == ServerAdminState.Maint ? LogSender.LevelAlert : LogSender.LevelNotice);
        }
    }
}
