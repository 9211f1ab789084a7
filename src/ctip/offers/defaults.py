"""The warning signs shipped with ctip (issue #19.2): loaded into the library by the data
migration, then kept by the Union's editors in the CMS.

Phrases are written as people type them, with accents; the library reads them without accents
and with teencode written out, like the pasted text, so "không cần kinh nghiệm" also finds
"k can kinh nghiem" and "ko cần kn". Patterns are regular expressions on that folded text
(lower case, no accents, teencode written out, punctuation gone).
"""

from __future__ import annotations

from typing import Any

MEDIUM_AT = 3
HIGH_AT = 6

DEFAULT_SIGNS: list[dict[str, Any]] = [
    {
        "code": "high-pay-light-work",
        "title": "Lương cao bất thường cho việc nhẹ",
        "weight": 3,
        "explanation": "Không có việc nào nhẹ nhàng, không cần tay nghề mà lương lại cao gấp "
                       "nhiều lần mức bình thường. Đây là mồi nhử phổ biến nhất của kẻ mua bán "
                       "người: khi sang đến nơi, công việc và tiền lương hoàn toàn khác.",
        "phrases": ["việc nhẹ lương cao", "việc nhẹ lương khủng", "lương cao việc nhẹ",
                    "việc nhàn lương cao", "lương khủng", "thu nhập khủng", "việc nhẹ nhàng",
                    "công việc nhẹ", "việc nhẹ", "nhàn hạ", "ngồi máy lạnh", "ngồi điều hòa",
                    "làm ít hưởng nhiều", "kiếm tiền dễ dàng", "kiếm tiền nhanh", "việc nhàn",
                    "easy job", "high salary", "easy money", "lương cao ngất",
                    "chỉ cần biết dùng điện thoại", "chỉ cần biết đọc biết viết",
                    "chỉ cần biết chữ", "chỉ cần có điện thoại"],
        "patterns": [r"luong (?:rat )?cao (?:ma )?(?:viec )?(?:nhe|nhan|de)",
                     r"viec (?:nhe|nhan|de) (?:ma )?(?:luong|thu nhap) (?:cao|khung|tot)"],
        "pay_threshold": 20,
        "pay_context": ["nhẹ", "nhàn", "đơn giản", "dễ", "chỉ cần", "trực máy tính",
                        "ngồi máy lạnh", "online", "easy", "Campuchia", "Myanmar", "sang Lào",
                        "bên Lào", "ở Lào", "đi Lào", "qua Lào",
                        "bao vé", "trọn gói", "đi ngay", "không cần bằng cấp",
                        "không cần ngoại ngữ", "không cần kinh nghiệm", "tuyển gấp"],
        "questions": ["Công việc cụ thể hằng ngày là gì, làm mấy giờ một ngày?",
                      "Vì sao việc không cần tay nghề mà lương lại cao như vậy?"],
    },
    {
        "code": "no-experience",
        "title": "Không cần kinh nghiệm, bằng cấp hay ngoại ngữ",
        "weight": 1,
        "explanation": "Nhiều việc tử tế cũng nhận người chưa có kinh nghiệm, nhưng khi đi kèm "
                       "lương cao hoặc làm ở nước ngoài thì đó là dấu hiệu cần cảnh giác: người "
                       "tuyển không quan tâm bạn làm được gì.",
        "phrases": ["không cần kinh nghiệm", "không cần bằng cấp", "không cần ngoại ngữ",
                    "không cần biết tiếng", "không yêu cầu bằng cấp", "không cần trình độ",
                    "không yêu cầu trình độ", "không cần tiếng anh", "no experience",
                    "no experience needed", "không cần kinh nghiệm bằng cấp",
                    "không cần học tiếng"],
        "patterns": [r"khong (?:can|yeu cau) (?:kinh nghiem|bang cap|ngoai ngu|trinh do)"],
        "questions": ["Bạn sẽ được đào tạo gì, ở đâu, ai trả tiền đào tạo?"],
    },
    {
        "code": "paid-travel",
        "title": "Lo trọn gói, bao vé máy bay, hộ chiếu, visa",
        "weight": 2,
        "explanation": "Người tuyển trả trước vé, hộ chiếu, visa rồi sau đó bắt bạn làm để trả "
                       "lại, thường với số tiền bị đội lên nhiều lần. Doanh nghiệp đưa người "
                       "đi làm việc hợp pháp ghi rõ từng khoản chi phí trong hợp đồng.",
        "phrases": ["lo trọn gói", "bao trọn gói", "trọn gói", "bao vé máy bay", "bao vé",
                    "miễn phí vé máy bay", "vé máy bay miễn phí", "công ty lo vé",
                    "lo vé máy bay", "lo hộ chiếu", "lo visa", "bao visa", "làm hộ chiếu giúp",
                    "công ty lo hết", "không mất phí", "không mất đồng nào", "0 đồng",
                    "không tốn phí", "không cần tiền", "free ticket", "free visa",
                    "bao ăn ở đi lại", "bao đưa đón", "chi phí đi lại công ty chịu",
                    "ứng trước tiền vé", "lo hết giấy tờ", "lo giấy tờ"],
        "patterns": [r"(?:bao|lo|tra|chiu|mien phi) (?:toan bo |het )?(?:ve|tien ve|may bay|"
                     r"ve may bay|chi phi di lai)",
                     r"(?:mien phi|khong mat phi|0 vnd) (?:xuat canh|di lai|ho chieu|visa)"],
        "questions": ["Ai trả vé, hộ chiếu, visa? Sau này có bị trừ vào lương không, trừ bao "
                      "nhiêu? Xin ghi rõ trong hợp đồng."],
    },
    {
        "code": "quick-departure",
        "title": "Đi ngay trong vài ngày",
        "weight": 2,
        "explanation": "Đi làm việc ở nước ngoài hợp pháp cần hợp đồng, khám sức khỏe, học định "
                       "hướng và thủ tục xuất cảnh, mất nhiều tuần. Hối thúc đi ngay là để bạn "
                       "không kịp hỏi ai, không kịp kiểm tra.",
        "phrases": ["xuất cảnh ngay", "bay ngay", "đi ngay", "đi liền", "bay liền",
                    "xuất cảnh nhanh", "đi gấp", "bay gấp", "đi trong tuần", "bay trong tuần",
                    "tuần sau bay", "mai đi luôn", "mai bay", "nhận việc ngay bên đó",
                    "xuất cảnh trong tuần", "có mặt ngay", "leave immediately",
                    "đi luôn", "bay luôn", "không cần chờ đợi", "xuất cảnh cấp tốc"],
        "patterns": [r"(?:xuat canh|bay|di|sang|len duong) (?:sau|trong|chi) (?:vong )?"
                     r"(?:\d|mot|hai|ba|bon|nam|bay|muoi)\s?(?:ngay|hom)",
                     r"(?:\d|hai|ba|bon|nam|bay|muoi) ngay (?:la )?(?:xuat canh|bay|di duoc)"],
        "questions": ["Vì sao phải đi gấp như vậy? Hợp đồng, visa lao động đã có chưa?"],
    },
    {
        "code": "border-trail",
        "title": "Qua biên giới bằng đường mòn hoặc đi du lịch rồi ở lại",
        "weight": 4,
        "explanation": "Đi bằng đường mòn, lối mở hoặc visa du lịch để làm việc là trái phép. Ở "
                       "nước ngoài bạn sẽ không có giấy tờ hợp lệ, không được pháp luật bảo vệ "
                       "và rất dễ bị giữ, bị bán hoặc bị ép làm việc.",
        "phrases": ["đường mòn", "đường tiểu ngạch", "tiểu ngạch", "lối mở", "đi chui",
                    "vượt biên", "qua sông", "đi đường rừng", "đi bộ qua biên giới",
                    "không cần hộ chiếu", "không cần visa", "không cần giấy tờ",
                    "visa du lịch", "đi du lịch rồi ở lại", "du lịch rồi làm",
                    "đi theo đoàn du lịch",
                    "người dẫn đường", "có người đón ở biên giới", "qua cửa khẩu phụ",
                    "đi đường bộ có người đón", "tourist visa", "bao qua biên giới",
                    "nhập cảnh du lịch"],
        "patterns": [r"(?:sang|qua|di) (?:theo )?(?:dien |dang |visa )?du lich (?:roi |sau do |"
                     r"xong )?(?:o lai|lam viec|di lam|chuyen)",
                     r"(?:don|dua) (?:qua|sang) bien gioi"],
        "questions": ["Bạn sẽ xuất cảnh qua cửa khẩu nào, với loại visa gì?"],
    },
    {
        "code": "documents-kept",
        "title": "Bị giữ hộ chiếu hoặc giấy tờ tùy thân",
        "weight": 4,
        "explanation": "Không ai được giữ hộ chiếu, căn cước của bạn, kể cả chủ sử dụng lao động. "
                       "Mất giấy tờ, bạn không thể bỏ đi, không thể về nước và bị khống chế hoàn "
                       "toàn.",
        "phrases": ["giữ hộ chiếu", "nộp hộ chiếu", "giữ giấy tờ", "giữ căn cước",
                    "nộp căn cước", "thu hộ chiếu", "giữ passport", "công ty giữ hộ chiếu",
                    "gửi lại hộ chiếu", "giao hộ chiếu", "nộp lại giấy tờ", "giữ giùm giấy tờ",
                    "cắm hộ chiếu", "thế chấp hộ chiếu", "giữ hộ hộ chiếu", "keep your passport",
                    "giữ sổ hộ khẩu", "nộp bản gốc căn cước"],
        "patterns": [r"(?:giu|thu|nop|giao|gui) (?:lai |ho |giup |giùm )?(?:ho chieu|can cuoc|"
                     r"giay to tuy than|giay to)"],
        "questions": ["Ai giữ hộ chiếu của bạn khi làm việc? Hãy từ chối nếu họ đòi giữ."],
    },
    {
        "code": "debt-bondage",
        "title": "Nợ phải làm để trả",
        "weight": 4,
        "explanation": "Khi chi phí được 'ứng trước' rồi trừ dần vào lương, hoặc phải đền hợp "
                       "đồng nếu bỏ việc, bạn có thể bị giữ lại làm việc mãi mà không trả hết nợ. "
                       "Đây là cách kẻ xấu khống chế người lao động.",
        "phrases": ["trừ vào lương", "trừ dần vào lương", "trừ lương dần", "làm trả nợ",
                    "trả nợ bằng lương", "làm để trả nợ", "vay trước trả sau", "ứng trước trừ sau",
                    "đền hợp đồng", "bồi thường hợp đồng", "phạt hợp đồng", "nợ công ty",
                    "cho vay đi làm", "vay tiền đi làm", "khoản vay trừ lương", "làm bù tiền vé",
                    "work off the debt", "nghỉ ngang phải đền", "bỏ việc phải đền",
                    "trừ tiền vé vào lương", "trả dần bằng lương", "vay nóng"],
        "patterns": [r"(?:tru|khau tru) (?:dan |het )?(?:vao |tu )?luong",
                     r"(?:nghi|bo viec|ve nuoc|ve truoc han) (?:ngang |som )?(?:thi |la )?"
                     r"(?:phai )?(?:den|boi thuong|phat|tra lai)",
                     r"lam (?:viec )?(?:de |cho )?(?:tra|bu) (?:no|tien)"],
        "questions": ["Nếu bạn muốn nghỉ hay về nước trước hạn thì phải trả bao nhiêu? Xin ghi "
                      "rõ trong hợp đồng."],
    },
    {
        "code": "secrecy",
        "title": "Yêu cầu giữ bí mật với gia đình",
        "weight": 4,
        "explanation": "Người tử tế không bao giờ bảo bạn giấu gia đình. Kẻ xấu muốn không ai biết "
                       "bạn đi đâu, với ai, để khi có chuyện không ai tìm được bạn.",
        "phrases": ["đừng nói với gia đình", "đừng nói với ai", "không cho gia đình biết",
                    "giữ bí mật với gia đình", "bí mật với gia đình", "đừng kể cho ai",
                    "không được kể",
                    "xóa tin nhắn", "đừng cho bố mẹ biết", "đừng cho ba mẹ biết",
                    "không nói với bố mẹ", "đi lặng lẽ", "don't tell your family",
                    "keep it secret", "giấu gia đình", "giấu bố mẹ", "đừng báo công an",
                    "không cần báo gia đình"],
        "patterns": [r"(?:dung|khong duoc|khong nen|cam) (?:noi|ke|cho|bao)(?: cho| voi)? "
                     r"(?:ai|gia dinh|bo me|ba me|nguoi nha|ban be)"],
        "questions": ["Gia đình bạn có biết bạn đi đâu, làm ở đâu, với ai không?"],
    },
    {
        "code": "social-recruiting",
        "title": "Tuyển qua mạng xã hội hoặc người lạ",
        "weight": 1,
        "explanation": "Lời mời qua Zalo, Facebook, Telegram hoặc từ người mới quen rất khó kiểm "
                       "tra: tên, công ty, địa chỉ có thể là giả. Hãy đòi gặp tại văn phòng có "
                       "giấy phép.",
        "phrases": ["inbox", "nhắn tin zalo", "add zalo", "kết bạn zalo", "liên hệ zalo",
                    "telegram", "nhắn tin riêng", "ib riêng", "inbox riêng", "ib mình",
                    "ib em", "ib ngay", "nhắn tin facebook", "quen qua mạng", "bạn trên mạng",
                    "người quen giới thiệu", "dm me", "pm me",
                    "kết bạn facebook", "nhắn tin ngay", "ib zalo", "chat riêng",
                    "mới quen", "quen trên mạng", "quen trên facebook", "quen qua zalo",
                    "quen qua facebook", "làm quen qua mạng"],
        "patterns": [r"(?:ib|inbox|nhan tin|lien he|ket ban|add)\s(?:qua\s)?(?:zalo|facebook|"
                     r"telegram|messenger|wechat|whatsapp|lien ket)",
                     r"nguoi la (?:ru|moi|nhan tin|ket ban|lam quen|gioi thieu|hua|dan)"],
        "questions": ["Tên thật, địa chỉ văn phòng và giấy phép của công ty là gì?"],
    },
    {
        "code": "casino",
        "title": "Làm việc ở sòng bạc, casino",
        "weight": 4,
        "explanation": "Nhiều người được hứa làm ở casino ở Campuchia, Myanmar, Lào rồi bị nhốt, "
                       "bị ép lừa đảo qua mạng hoặc bị bán sang nơi khác. Casino gần biên giới là "
                       "nơi đường dây mua bán người hay dùng.",
        "phrases": ["casino", "sòng bạc", "sòng bài", "chia bài", "dealer", "nhà cái",
                    "cá độ", "cờ bạc", "bàn bài", "bắn cá", "game bài", "baccarat",
                    "tài xỉu", "làm sòng", "xóc đĩa", "khu vui chơi giải trí có thưởng"],
        "patterns": [r"ca ?si ?no", r"song (?:bac|bai)"],
        "questions": ["Nơi làm việc tên gì, địa chỉ cụ thể ở đâu? Có giấy phép lao động không?"],
    },
    {
        "code": "game-company",
        "title": "'Công ty game', công ty công nghệ ở nước ngoài",
        "weight": 4,
        "explanation": "'Công ty game', 'công ty công nghệ', 'công ty đầu tư' ở Campuchia, "
                       "Myanmar, Lào thường là tên che cho các khu lừa đảo trực tuyến, nơi người "
                       "lao động bị nhốt và bị ép lừa người khác.",
        "phrases": ["công ty game", "cty game", "làm game", "game online", "game company",
                    "công ty trò chơi"],
        "patterns": [r"cong ty (?:ve |lam |ban )?game", r"(?:viec|lam) (?:trong |tai |o )?game",
                     r"(?:cong ty|tap doan) (?:cong nghe|dau tu|tai chinh|it)\s(?:\w+\s){0,5}"
                     r"(?:campuchia|myanmar|lao(?! dong)|dubai|philippines)",
                     r"(?:campuchia|myanmar|lao(?! dong)|dubai|philippines)\s(?:\w+\s){0,5}"
                     r"(?:cong ty|tap doan) (?:cong nghe|dau tu|tai chinh|it)"],
        "questions": ["Tên công ty, mã số doanh nghiệp, địa chỉ là gì? Bạn có tìm thấy nó trên "
                      "trang chính thức không?"],
    },
    {
        "code": "scam-compound",
        "title": "Việc 'trực máy tính', chăm sóc khách hàng online ở nước ngoài",
        "weight": 4,
        "explanation": "Việc 'trực máy tính', 'đánh máy', 'chăm sóc khách hàng online', 'chạy "
                       "quảng cáo' ở Campuchia, Myanmar, Lào là cách tuyển người vào các khu lừa "
                       "đảo: bị thu điện thoại, không được ra ngoài, bị đánh nếu không lừa đủ "
                       "người.",
        "phrases": ["trực máy tính", "trực page", "trực fanpage",
                    "chăm sóc khách hàng online", "cskh online", "sale online nước ngoài",
                    "chat với khách nước ngoài", "làm quen khách", "tán gẫu với khách",
                    "nuôi nick", "nuôi tài khoản", "telesale nước ngoài", "typing job",
                    "Sihanoukville", "Shihanouk", "Bavet", "Poipet", "Myawaddy", "KK Park",
                    "đặc khu", "Tam giác vàng", "khu kinh tế đặc biệt", "Xihanuk"],
        "patterns": [r"(?:cham soc khach hang|sale|marketing|nhap lieu|danh may|tiep thi|"
                     r"truc may)\s(?:\w+\s){0,4}"
                     r"(?:campuchia|myanmar|lao(?! dong)|nuoc ngoai|thai lan)",
                     r"(?:campuchia|myanmar|lao(?! dong))\s(?:\w+\s){0,4}"
                     r"(?:online|may tinh|danh may|nhap lieu|cham soc khach hang|sale)"],
        "questions": ["Bạn sẽ làm trên máy tính việc gì, với khách hàng nào, ở nước nào?"],
    },
    {
        "code": "kpi",
        "title": "'Chạy KPI', chỉ tiêu khách hàng ở nước ngoài",
        "weight": 3,
        "explanation": "'Chạy KPI', 'đủ chỉ tiêu' là cách các khu lừa đảo ép người lao động: không "
                       "lừa đủ số người thì bị phạt, bị đánh hoặc bị bán sang chỗ khác.",
        "phrases": ["chạy KPI", "chạy chỉ tiêu", "đủ KPI", "đạt KPI", "không đủ KPI",
                    "không đạt KPI", "ép KPI", "chỉ tiêu khách", "chạy doanh số",
                    "phạt nếu không đủ chỉ tiêu", "phạt KPI"],
        "patterns": [r"(?:chay|du|dat|ep|phat) (?:\w+ )?kpi"],
        "questions": ["Nếu không đạt chỉ tiêu thì bị gì? Hãy hỏi rõ bằng văn bản."],
    },
    {
        "code": "marriage-broker",
        "title": "Môi giới hôn nhân hứa tiền cho gia đình",
        "weight": 4,
        "explanation": "Môi giới kết hôn với người nước ngoài để kiếm lời là bị cấm. Lời hứa gửi "
                       "tiền, sính lễ cho gia đình thường che giấu việc bán người làm vợ, không "
                       "có giấy đăng ký kết hôn và không có đường về.",
        "phrases": ["lấy chồng Trung Quốc", "lấy chồng Hàn Quốc", "lấy chồng Đài Loan",
                    "lấy chồng nước ngoài", "lấy chồng ngoại", "lấy chồng Hàn", "lấy chồng Trung",
                    "lấy chồng Đài", "môi giới hôn nhân", "môi giới kết hôn",
                    "chồng ngoại quốc", "cho gia đình tiền", "tiền cảm ơn gia đình",
                    "lấy chồng giàu", "kết hôn với người nước ngoài", "marriage broker",
                    "foreign husband", "lấy chồng Tàu", "chồng Trung Quốc", "chồng Hàn Quốc",
                    "chồng Đài Loan", "làm dâu nước ngoài"],
        "patterns": [r"(?:gia dinh|bo me|ba me|cha me|nha gai)(?: \w+){0,2} (?:se )?(?:duoc|nhan)"
                     r"(?: \w+){0,2} (?:tien|trieu|sinh le|qua)",
                     r"(?:nguoi|anh|chong|nha trai) (?:trung quoc|han quoc|dai loan|tau)"
                     r"(?: \w+){0,4} (?:cuoi|lay vo|tim vo|can vo)",
                     r"tim vo viet",
                     r"xem mat (?:chong |nguoi )?(?:trung quoc|han quoc|dai loan|nuoc ngoai|tau)",
                     r"lay chong (?:o |ben )?"
                     r"(?:trung quoc|han quoc|dai loan|tau|ngoai|nuoc ngoai)"],
        "questions": ["Bạn đã gặp, đã biết rõ người ấy và gia đình họ chưa? Ai nhận tiền, vì "
                      "sao?"],
    },
    {
        "code": "under-18",
        "title": "Nhận người dưới 18 tuổi",
        "weight": 4,
        "explanation": "Đưa người dưới 18 tuổi đi làm xa hoặc ra nước ngoài mà không có cha mẹ, "
                       "lại hứa lương cao, là dấu hiệu rất nguy hiểm: trẻ em dễ bị bóc lột và "
                       "mua bán.",
        "phrases": ["chưa đủ 18", "dưới 18 tuổi", "không cần đủ 18", "nhận cả học sinh",
                    "học sinh nghỉ học", "học sinh bỏ học", "under 18",
                    "không cần đủ tuổi", "chưa đủ tuổi", "nhận trẻ vị thành niên",
                    "không cần căn cước", "tuổi từ 15", "tuổi từ 16", "tuổi từ 14"],
        "patterns": [r"(?:tu|from|tren) 1[3-7] (?:tuoi|t)",
                     r"1[3-7] (?:den |toi )?\d\d tuoi",
                     r"1[3-7] tuoi (?:tro len|la duoc|cung duoc|van duoc)",
                     r"tuoi (?:tu )?1[3-7]"],
        "questions": ["Cha mẹ đã biết và đồng ý chưa? Trẻ dưới 18 tuổi không được đưa đi làm "
                      "việc ở nước ngoài."],
    },
    {
        "code": "risky-destination",
        "title": "Nơi đến hay có người bị lừa bán",
        "weight": 1,
        "explanation": "Campuchia, Myanmar, Lào và vùng biên giới phía Bắc là nơi nhiều người "
                       "trong tỉnh đã bị lừa bán. Đi làm ở đó cần kiểm tra thật kỹ.",
        "phrases": ["Campuchia", "Myanmar", "biên giới", "sang Cam", "qua Cam", "đi Cam",
                    "bên Cam", "Trung Quốc", "Dubai", "Miến Điện", "cửa khẩu", "Phnom Penh",
                    "Kim Biên", "Mộc Bài"],
        # "Lào" without accents is also "lao" of "lao động" (labour) and "Lào Cai"
        "patterns": [r"lao(?! dong| cai)"],
        "questions": ["Ở nước đó bạn có người thân nào để liên lạc khi cần không?"],
    },
    {
        "code": "no-contract",
        "title": "Không có hợp đồng hoặc hợp đồng ký sau",
        "weight": 2,
        "explanation": "Không có hợp đồng bằng văn bản, bằng tiếng Việt, thì bạn không có gì để "
                       "đòi quyền lợi. 'Sang rồi ký', 'hợp đồng miệng' là dấu hiệu lừa đảo.",
        "phrases": ["không cần hợp đồng", "không ký hợp đồng", "hợp đồng miệng",
                    "sang rồi ký hợp đồng", "sang đó ký", "qua bên kia ký", "ký sau",
                    "hợp đồng ký sau", "no contract", "không có hợp đồng", "làm hợp đồng sau"],
        "patterns": [r"(?:sang|qua|den) (?:do|ben do|noi|ben kia|roi) (?:moi |se )?ky"],
        "questions": ["Xin xem hợp đồng bằng tiếng Việt trước khi đi: ai là người sử dụng lao "
                      "động, làm gì, ở đâu, lương bao nhiêu?"],
    },
    {
        "code": "upfront-deposit",
        "title": "Đòi đặt cọc, nộp tiền trước để giữ chỗ",
        "weight": 2,
        "explanation": "Đòi chuyển khoản đặt cọc, 'phí giữ chỗ' cho người lạ trước khi có hợp "
                       "đồng là cách lừa tiền phổ biến. Doanh nghiệp có phép chỉ thu phí theo "
                       "hợp đồng và có hóa đơn.",
        "phrases": ["đặt cọc giữ chỗ", "phí giữ chỗ", "cọc trước", "chuyển khoản trước",
                    "nộp tiền trước", "đóng tiền trước", "phí hồ sơ trước", "chuyển khoản cọc",
                    "đặt cọc ngay", "deposit"],
        "patterns": [r"(?:chuyen khoan|nop|dong|gui) (?:tien )?(?:coc|dat coc|truoc)"],
        "questions": ["Tiền bạn nộp là khoản gì, có hóa đơn, hợp đồng không? Đừng chuyển tiền "
                      "cho tài khoản cá nhân."],
    },
]


# What each default sign warns of in the trafficking process recorded on cases (HTCDS codes of
# ``ctip.cases.htcds``): the prevention figures show the sign next to the persons recruited,
# exploited or kept that way. Loaded by the data migration into signs the editors have not
# mapped yet; kept by the editors afterwards.
DEFAULT_LINKS: dict[str, dict[str, list[str]]] = {
    "high-pay-light-work": {"recruitment_methods": ["online_ad", "social_network"],
                            "exploitation": ["forced_labour", "scam_compound"],
                            "means_of_control": ["false_promises"]},
    "no-experience": {"recruitment_methods": ["online_ad", "social_network"],
                      "means_of_control": ["false_promises"]},
    "paid-travel": {"recruitment_methods": ["broker", "online_ad"],
                    "means_of_control": ["debt"]},
    "quick-departure": {"recruitment_methods": ["broker", "friends"],
                        "means_of_control": ["false_promises"]},
    "border-trail": {"recruitment_methods": ["broker", "friends"],
                     "exploitation": ["forced_labour", "scam_compound", "forced_marriage"],
                     "means_of_control": ["threats_law"]},
    "documents-kept": {"means_of_control": ["documents", "confinement"]},
    "debt-bondage": {"exploitation": ["forced_labour", "servitude"],
                     "means_of_control": ["debt", "takes_earnings"]},
    "secrecy": {"recruitment_methods": ["friends", "social_network", "family"],
                "means_of_control": ["psychological"]},
    "social-recruiting": {"recruitment_methods": ["social_network", "online_ad", "friends"]},
    "casino": {"exploitation": ["forced_labour", "criminality", "sexual"]},
    "game-company": {"recruitment_methods": ["social_network", "online_ad"],
                     "exploitation": ["scam_compound"]},
    "scam-compound": {"recruitment_methods": ["social_network", "online_ad"],
                      "exploitation": ["scam_compound", "criminality"],
                      "means_of_control": ["confinement", "excessive_hours"]},
    "kpi": {"exploitation": ["scam_compound"],
            "means_of_control": ["excessive_hours", "physical_abuse", "resold"]},
    "marriage-broker": {"recruitment_methods": ["broker", "family"],
                        "exploitation": ["forced_marriage", "surrogacy"]},
    "under-18": {"exploitation": ["child_labour", "sexual"]},
    "risky-destination": {"exploitation": ["scam_compound", "forced_labour", "criminality"]},
    "no-contract": {"recruitment_methods": ["broker"], "means_of_control": ["false_promises"]},
    "upfront-deposit": {"recruitment_methods": ["online_ad", "broker"],
                        "means_of_control": ["debt"]},
}
