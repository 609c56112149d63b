using System.Net.Sockets;
using System.Text;
using Sluice.Config.Model;
using Sluice.Stats;

namespace Sluice.RuntimeApi;

/// <summary>
/// One runtime API client. Each line holds one or more commands separated by `;` (`\;` and `\ ` escape); each
/// answer ends with a blank line. Without `prompt` the connection closes once the lines already received are
/// answered (one `socat` exchange); with it, a `> ` prompt follows each answer until `quit`, the end of input,
/// or `stats timeout` of silence.
/// </summary>
internal sealed class CliConnection
{
    private const int MaxLine = 64 * 1024;
    private const int MaxPayload = 1024 * 1024;
    private readonly StringBuilder _payload = new();
    private string? _payloadCommand;
    private readonly Socket _socket;
    private readonly StatsHub? _hub;

    private readonly Func<IReadOnlyList<Listeners.Listener>>? _exposedListeners;

    /// <param name="hub">The configuration the commands act on; null on the master CLI, whose session chooses.</param>
    /// <param name="exposedListeners">Where `expose-fd listeners` allows `_getsocks`: the listening sockets.</param>
    /// <param name="master">The master CLI's session, on a socket of `-S`.</param>
    public CliConnection(Socket socket, StatsHub? hub, CliLevel level, TimeSpan timeout, Func<IReadOnlyList<Listeners.Listener>>? exposedListeners = null, MasterCliSession? master = null)
    {
        _socket = socket;
        _exposedListeners = exposedListeners;
        _hub = hub;
        Master = master;
        Level = level;
        Timeout = timeout;
    }

    public MasterCliSession? Master { get; }

    public CliLevel Level { get; set; }

    public bool Interactive { get; set; }

    public bool Quit { get; set; }

    public TimeSpan Timeout { get; set; }

    /// <summary>Set by `show events RING -w`: once its answer so far is sent, the ring's new events follow until the client sends anything.</summary>
    public (Logging.Ring Ring, Logging.RingCursor Cursor)? Follow { get; set; }

    private CancellationToken _stopping;

    public async Task RunAsync(CancellationToken stopping)
    {
        _stopping = stopping;
        var buffer = new byte[4096];
        var pending = new List<byte>();
        try
        {
            while (!Quit)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                idle.CancelAfter(Timeout);
                int read;
                try
                {
                    read = await _socket.ReceiveAsync(buffer, SocketFlags.None, idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (read == 0)
                {
                    // The end of input: a last line without its newline still runs, and so does a command
                    // whose payload was not closed by an empty line.
                    if (pending.Count > 0 && !TakePayloadLine(Encoding.Latin1.GetString([.. pending])))
                    {
                        await RunLineAsync(Encoding.Latin1.GetString([.. pending]), ClosePayload()).ConfigureAwait(false);
                    }
                    else if (_payloadCommand is not null)
                    {
                        await RunLineAsync(string.Empty, ClosePayload()).ConfigureAwait(false);
                    }

                    return;
                }

                pending.AddRange(buffer.AsSpan(0, read));
                if (pending.Count > MaxLine)
                {
                    return;
                }

                int newline;
                while (!Quit && (newline = pending.IndexOf((byte)'\n')) >= 0)
                {
                    var line = Encoding.Latin1.GetString([.. pending.GetRange(0, newline)]).TrimEnd('\r');
                    pending.RemoveRange(0, newline + 1);
                    if (TakePayloadLine(line))
                    {
                        continue;
                    }

                    var wasInteractive = Interactive;
                    await RunLineAsync(line, ClosePayload()).ConfigureAwait(false);
                    if (!wasInteractive && !Interactive && pending.IndexOf((byte)'\n') < 0)
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // The client went away.
        }
        finally
        {
            _socket.Dispose();
        }
    }

    /// <summary>
    /// HAProxy's payloads: a line ending with `&lt;&lt;` is a command whose payload is the lines that follow, up to an
    /// empty line. Returns true when <paramref name="line"/> was taken (the command, or a payload line); the empty
    /// line is not taken, and the caller then runs the command with <see cref="ClosePayload"/>.
    /// </summary>
    private bool TakePayloadLine(string line)
    {
        if (_payloadCommand is not null)
        {
            if (line.Length == 0)
            {
                return false;
            }

            if (_payload.Length + line.Length > MaxPayload)
            {
                // Bounded like a line: a payload that never ends is dropped, not kept.
                _payload.Clear();
            }

            _payload.Append(line).Append('\n');
            return true;
        }

        var trimmed = line.TrimEnd();
        if (!trimmed.EndsWith("<<", StringComparison.Ordinal))
        {
            return false;
        }

        _payloadCommand = trimmed[..^2];
        _payload.Clear();
        return true;
    }

    /// <summary>Ends the payload being read: returns the command and its payload, or null when none was open.</summary>
    private (string Command, string Payload)? ClosePayload()
    {
        if (_payloadCommand is not { } command)
        {
            return null;
        }

        _payloadCommand = null;
        var payload = _payload.ToString();
        _payload.Clear();
        return (command, payload);
    }

    private async Task RunLineAsync(string line, (string Command, string Payload)? withPayload = null)
    {
        if (_exposedListeners is not null && line.Trim() == Listeners.ListenerHandover.Command)
        {
            Listeners.ListenerHandover.Send(_socket, _exposedListeners());
            Quit = true;
            return;
        }

        var output = new StringBuilder();
        string? payload = null;
        if (withPayload is { } open)
        {
            // The line that closed the payload is the empty line: the command is the one before it.
            line = open.Command;
            payload = open.Payload;
        }

        foreach (var args in Split(line))
        {
            if (args.Count == 0)
            {
                continue;
            }

            var answered = true;
            if (Master is not null)
            {
                answered = Master.Execute(this, args, payload, output);
            }
            else
            {
                CliCommands.Execute(new CliRequest(this, args, _hub!, payload), output);
            }

            if (Quit)
            {
                break;
            }

            if (Follow is var (ring, cursor))
            {
                Follow = null;
                await _socket.SendAsync(Encoding.Latin1.GetBytes(output.ToString()), SocketFlags.None).ConfigureAwait(false);
                output.Clear();
                await FollowAsync(ring, cursor).ConfigureAwait(false);
                if (Quit)
                {
                    // The client closed its side: the answer still ends as usual before the session does.
                    output.Append('\n');
                    break;
                }
            }

            if (answered)
            {
                output.Append('\n');
            }
        }

        if (Interactive && !Quit)
        {
            // The master CLI's prompt follows an answer that was nothing at once, as HAProxy's does.
            if (output.Length == 0 && Master is null)
            {
                output.Append('\n');
            }

            output.Append(Master?.Prompt ?? "> ");
        }

        if (output.Length > 0)
        {
            await _socket.SendAsync(Encoding.Latin1.GetBytes(output.ToString()), SocketFlags.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends the ring's events as they come until the client sends anything (discarded, as HAProxy does) or closes
    /// its side, which also ends the session, or the process stops.
    /// </summary>
    private async Task FollowAsync(Logging.Ring ring, Logging.RingCursor cursor)
    {
        var input = new byte[512];
        var received = _socket.ReceiveAsync(input, SocketFlags.None, _stopping).AsTask();
        var batch = new MemoryStream();
        while (true)
        {
            var written = ring.WaitAsync(cursor, _stopping);
            if (await Task.WhenAny(received, written).ConfigureAwait(false) == received)
            {
                try
                {
                    Quit = await received.ConfigureAwait(false) == 0;
                }
                catch (OperationCanceledException)
                {
                    Quit = true;
                }

                return;
            }

            if (written.IsCanceled)
            {
                Quit = true;
                return;
            }

            batch.SetLength(0);
            ring.ReadLines(ref cursor, batch);
            await _socket.SendAsync(batch.GetBuffer().AsMemory(0, (int)batch.Length), SocketFlags.None).ConfigureAwait(false);
        }
    }

    /// <summary>Splits a line into commands (`;`) and words (blanks), honouring backslash escapes.</summary>
    internal static List<List<string>> Split(string line)
    {
        var commands = new List<List<string>>();
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (ch == '\\' && i + 1 < line.Length)
            {
                word.Append(line[++i]);
                inWord = true;
                continue;
            }

            if (ch is ' ' or '\t' or ';')
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                if (ch == ';')
                {
                    commands.Add(words);
                    words = [];
                }

                continue;
            }

            word.Append(ch);
            inWord = true;
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        commands.Add(words);
        return commands;
    }
}
