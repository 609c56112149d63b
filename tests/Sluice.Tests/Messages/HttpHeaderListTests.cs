using System.Text;
using Sluice.Messages;

namespace Sluice.Tests.Messages;

public class HttpHeaderListTests
{
    [Fact]
    public void Add_ManyFieldsPastInitialArrays_AllKeptInOrder()
    {
        using var list = new HttpHeaderList();
        for (var i = 0; i < 200; i++)
        {
            list.Add(Encoding.ASCII.GetBytes($"x-field-{i}"), Encoding.ASCII.GetBytes(new string('v', i * 10)));
        }

        Assert.Equal(200, list.Count);
        Assert.Equal("x-field-150", Encoding.ASCII.GetString(list.Name(150)));
        Assert.Equal(1500, list.Value(150).Length);
    }

    [Fact]
    public void RemoveAll_CaseInsensitive_OthersUntouched()
    {
        using var list = new HttpHeaderList();
        list.Add("Host", "a");
        list.Add("X-Foo", "1");
        list.Add("x-foo", "2");
        list.Add("Accept", "*/*");

        Assert.Equal(2, list.RemoveAll("X-FOO"u8));
        Assert.Equal(2, list.Count);
        Assert.Equal(-1, list.IndexOf("x-foo"u8));
        Assert.Equal(3, list.IndexOf("accept"u8));
        Assert.True(list.IsRemoved(1));
    }

    [Fact]
    public void Clear_ThenReuse_ForgetsEverything()
    {
        using var list = new HttpHeaderList();
        list.Add("a", "1");
        Assert.Equal(2, list.Store("GET"u8).Start);
        list.Clear();
        var method = list.Store("POST"u8);
        list.Add("b", "2");
        Assert.Equal(1, list.Count);
        Assert.Equal("b", Encoding.ASCII.GetString(list.Name(0)));
        Assert.Equal(0, method.Start);
        Assert.Equal("POST", Encoding.ASCII.GetString(list.Bytes(method)));
    }

    [Theory]
    [InlineData("keep-alive, Upgrade", "upgrade", true)]
    [InlineData(" close ,x", "close", true)]
    [InlineData("closed", "close", false)]
    [InlineData("", "close", false)]
    [InlineData("a,,b", "b", true)]
    public void HasToken_CommaSeparatedList(string value, string token, bool expected)
    {
        using var list = new HttpHeaderList();
        list.Add("Connection", value);
        Assert.Equal(expected, list.HasToken("connection"u8, Encoding.ASCII.GetBytes(token)));
    }

    [Fact]
    public void CountOf_CountsPresentFieldsOnly()
    {
        using var list = new HttpHeaderList();
        list.Add("Sec-WebSocket-Key", "a");
        list.Add("sec-websocket-key", "b");
        Assert.Equal(2, list.CountOf("sec-websocket-key"u8));
        list.Remove(0);
        Assert.Equal(1, list.CountOf("sec-websocket-key"u8));
    }
}
