using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Sluice.Transport;

namespace Sluice.Listeners;

/// <summary>
/// Passes listening sockets from a running process to the one replacing it (HAProxy's `-x` and `stats socket ...
/// expose-fd listeners`): the new process asks the old one's stats socket for `_getsocks` and receives every
/// listening socket as a file descriptor (SCM_RIGHTS) with its <see cref="InheritedSockets.Key"/>. Binds that
/// match take those sockets over, so connections waiting in their queues are accepted by the new process
/// instead of being reset when the old one closes.
/// </summary>
/// <remarks>
/// The exchange is Sluice's own (both ends are Sluice): the text <c>sockets COUNT\n</c> and one key per line,
/// then the descriptors in batches, each batch carried by one byte. Descriptors arrive in the order sent.
/// </remarks>
internal static class ListenerHandover
{
    public const string Command = "_getsocks";

    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int BatchSize = 200;
    private const int HeaderSize = 16;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public IntPtr Name;
        public int NameLength;
        public IntPtr Vectors;
        public nint VectorCount;
        public IntPtr Control;
        public nint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVector
    {
        public IntPtr Base;
        public nint Length;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern nint sendmsg(SafeHandle socket, ref MessageHeader message, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint recvmsg(SafeHandle socket, ref MessageHeader message, int flags);

    /// <summary>Sends every listening socket of <paramref name="listeners"/> over <paramref name="connection"/>.</summary>
    public static void Send(Socket connection, IReadOnlyList<Listener> listeners)
    {
        var header = new StringBuilder();
        header.Append("sockets ").Append(listeners.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var listener in listeners)
        {
            header.Append(listener.Key).Append('\n');
        }

        var text = Encoding.UTF8.GetBytes(header.ToString());
        for (var sent = 0; sent < text.Length;)
        {
            WaitUntil(connection, SelectMode.SelectWrite);
            sent += connection.Send(text, sent, text.Length - sent, SocketFlags.None);
        }

        for (var first = 0; first < listeners.Count; first += BatchSize)
        {
            var count = Math.Min(BatchSize, listeners.Count - first);
            var handles = new SafeHandle[count];
            for (var i = 0; i < count; i++)
            {
                handles[i] = listeners[first + i].Socket.SafeHandle;
            }

            SendDescriptors(connection, handles);
        }
    }

    /// <summary>
    /// Connects to the stats socket at <paramref name="path"/> and takes the sockets it hands over; null and a
    /// reason when it cannot.
    /// </summary>
    public static InheritedSockets? Receive(string path, out string? error)
    {
        using var connection = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var received = new List<int>();
        try
        {
            connection.Connect(new UnixDomainSocketEndPoint(path));
            connection.Send(Encoding.ASCII.GetBytes(Command + "\n"));
            var text = new List<byte>();
            string[]? keys = null;
            while (keys is null || received.Count < keys.Length)
            {
                WaitUntil(connection, SelectMode.SelectRead);
                if (!ReceiveSome(connection, text, received))
                {
                    error = keys is null ? "the old process sent no socket" : $"{received.Count} of {keys.Length} sockets received";
                    CloseAll(received);
                    return null;
                }

                keys ??= TryReadKeys(text);
            }

            error = null;
            return new InheritedSockets(keys.Select((key, i) => (key, new Socket(new SafeSocketHandle(received[i], ownsHandle: true)))));
        }
        catch (Exception ex) when (ex is SocketException or TimeoutException or FormatException or IOException)
        {
            CloseAll(received);
            error = ex.Message;
            return null;
        }
    }

    private static string[]? TryReadKeys(List<byte> text)
    {
        var all = Encoding.UTF8.GetString([.. text]);
        var firstEnd = all.IndexOf('\n', StringComparison.Ordinal);
        if (firstEnd < 0)
        {
            return null;
        }

        var first = all[..firstEnd];
        if (!first.StartsWith("sockets ", StringComparison.Ordinal) || !int.TryParse(first.AsSpan(8), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            throw new FormatException("unexpected answer: " + first);
        }

        var lines = all[(firstEnd + 1)..].Split('\n');
        return lines.Length > count ? lines[..count] : null;
    }

    private static void SendDescriptors(Socket connection, SafeHandle[] handles)
    {
        var references = new bool[handles.Length];
        var control = Marshal.AllocHGlobal(HeaderSize + (4 * BatchSize));
        var payload = Marshal.AllocHGlobal(1);
        var vector = Marshal.AllocHGlobal(Marshal.SizeOf<IoVector>());
        try
        {
            Marshal.WriteByte(payload, (byte)'.');
            Marshal.StructureToPtr(new IoVector { Base = payload, Length = 1 }, vector, false);
            var length = HeaderSize + (4 * handles.Length);
            Marshal.WriteInt64(control, length);
            Marshal.WriteInt32(control, 8, SolSocket);
            Marshal.WriteInt32(control, 12, ScmRights);
            for (var i = 0; i < handles.Length; i++)
            {
                handles[i].DangerousAddRef(ref references[i]);
                Marshal.WriteInt32(control, HeaderSize + (4 * i), (int)handles[i].DangerousGetHandle());
            }

            var message = new MessageHeader { Vectors = vector, VectorCount = 1, Control = control, ControlLength = (length + 7) & ~7 };
            while (true)
            {
                WaitUntil(connection, SelectMode.SelectWrite);
                if (sendmsg(connection.SafeHandle, ref message, 0) >= 0)
                {
                    return;
                }

                var errno = Marshal.GetLastPInvokeError();
                if (errno is not (Errno.Again or Errno.Interrupted))
                {
                    throw new SocketException(errno);
                }
            }
        }
        finally
        {
            for (var i = 0; i < handles.Length; i++)
            {
                if (references[i])
                {
                    handles[i].DangerousRelease();
                }
            }

            Marshal.FreeHGlobal(vector);
            Marshal.FreeHGlobal(payload);
            Marshal.FreeHGlobal(control);
        }
    }

    /// <summary>One recvmsg: its bytes go to <paramref name="text"/>, its descriptors to <paramref name="descriptors"/>.
    /// False at the end of the stream.</summary>
    private static bool ReceiveSome(Socket connection, List<byte> text, List<int> descriptors)
    {
        const int DataSize = 4096;
        const int ControlSize = HeaderSize + (4 * 253) + 8;
        var data = Marshal.AllocHGlobal(DataSize);
        var control = Marshal.AllocHGlobal(ControlSize);
        var vector = Marshal.AllocHGlobal(Marshal.SizeOf<IoVector>());
        try
        {
            Marshal.StructureToPtr(new IoVector { Base = data, Length = DataSize }, vector, false);
            var message = new MessageHeader { Vectors = vector, VectorCount = 1, Control = control, ControlLength = ControlSize };
            nint read;
            while ((read = recvmsg(connection.SafeHandle, ref message, MsgCmsgCloexec)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno is not (Errno.Again or Errno.Interrupted))
                {
                    throw new SocketException(errno);
                }

                WaitUntil(connection, SelectMode.SelectRead);
            }

            for (var offset = 0; offset + HeaderSize <= message.ControlLength;)
            {
                var length = (int)Marshal.ReadInt64(control, offset);
                if (length < HeaderSize)
                {
                    break;
                }

                if (Marshal.ReadInt32(control, offset + 8) == SolSocket && Marshal.ReadInt32(control, offset + 12) == ScmRights)
                {
                    for (var at = offset + HeaderSize; at + 4 <= offset + length; at += 4)
                    {
                        descriptors.Add(Marshal.ReadInt32(control, at));
                    }
                }

                offset += (length + 7) & ~7;
            }

            for (var i = 0; i < read; i++)
            {
                text.Add(Marshal.ReadByte(data, i));
            }

            return read > 0;
        }
        finally
        {
            Marshal.FreeHGlobal(vector);
            Marshal.FreeHGlobal(control);
            Marshal.FreeHGlobal(data);
        }
    }

    private static void WaitUntil(Socket connection, SelectMode mode)
    {
        if (!connection.Poll(Patience, mode))
        {
            throw new TimeoutException("no answer from the old process within " + Patience.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s");
        }
    }

    private static void CloseAll(List<int> descriptors)
    {
        foreach (var fd in descriptors)
        {
            new SafeSocketHandle(fd, ownsHandle: true).Dispose();
        }
    }
}
