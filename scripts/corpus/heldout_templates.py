"""Held-out templates: written separately from the training ones, with other wording and
other names, so the held-out score measures generalisation. Never used for training."""

POOLS = {
    "school": ["清河县实验中学", "海门市东方小学", "林州第三高级中学", "西湖区求是学校", "北辰职业中专"],
    "name": ["钱雨婷", "冯志远", "邓佳怡", "许文博", "沈雪", "韩冬", "蒋梦瑶", "曹宇"],
    "name2": ["彭小军", "谢丽", "罗成", "唐婉", "宋涛"],
    "item": ["笔记本电脑", "交互式触控一体机", "显微镜", "学生课桌", "监控摄像头", "打印机", "音响设备"],
    "subject": ["历史", "地理", "生物", "音乐", "美术", "道德与法治"],
    "n": ["2", "4", "6", "10", "15", "30"],
    "amount": ["2,150.00", "9,800.00", "36,500.00", "118,000.00", "640.00", "5,320.00"],
    "md": ["2月28日", "5月8日", "7月1日", "10月18日", "12月10日"],
    "name_en": ["Laura Green", "Peter Zhang", "Olivia Hart", "Tom Baker", "Grace Liu"],
    "item_en": ["tablets", "microscopes", "interactive whiteboards", "printers", "CCTV cameras"],
    "amount_en": ["2,300.00", "8,750.00", "31,000.00", "640.00"],
}

TEMPLATES = {
    "regulation": {
        "cn": [
            "{school}{校务公开实施办法|公务接待管理规定|保密工作管理制度}\n第一章 总则\n第一条 为{推进依法治校|规范公务活动|做好保密工作}，制定本{办法|规定|制度}。\n第二条 学校各部门及全体教职工均应遵守本{办法|规定|制度}。\n第二章 职责\n第三条 党政办公室是{校务公开|公务接待|保密工作}的主管部门。\n第四章 附则\n本{办法|规定|制度}自{dist}起施行。",
        ],
        "en": [
            "Policy on {Data Protection|Visitor Access|Use of Mobile Phones}\nSection 1: Purpose. This policy sets out the rules that all staff must follow regarding {personal data|visitors to the site|mobile phones in lessons}.\nSection 2: Scope. It applies to every member of staff and every contractor.\nSection 3: Review. The policy will be reviewed every two years by the governors.",
        ],
    },
    "minutes": {
        "cn": [
            "党政联席会议纪要\n{md}，校党支部书记{name}主持召开党政联席会议，班子成员参加，{name2}记录。\n会议议定事项如下：\n一、审议{明年经费预算安排|教学楼维修资金使用|食堂招标事宜}，同意提交教代会讨论。\n二、{确定了期末考试时间|研究了教师职称推荐人选|布置了安全大检查}。\n三、明确各项工作的牵头部门和完成时限。",
            "教代会主席团会议记录\n会议时间：{md}上午  会议地点：第一会议室\n到会人员：{name}、{name2}等7人，缺席1人\n议题：审议提交教代会的{学校财务预算报告|绩效工资分配方案|年度工作报告}\n讨论情况：与会人员逐项发表意见，一致同意提交大会审议。",
        ],
        "en": [
            "Governing Board Meeting — Minutes\nAttendees: {name_en} (Chair), {name_en}, {name_en}\nItem 1: The head teacher's report was received.\nItem 2: {The governors discussed next year's budget and asked for savings of five per cent.|The new admissions policy was approved.|The building works schedule was noted.}\nActions: the clerk will circulate these minutes within one week.",
        ],
    },
    "notice": {
        "cn": [
            "关于做好{元旦|端午节|中秋节}期间值班工作的通知\n各处室、年级组：\n{元旦|端午节|中秋节}将至，为确保假期校园安全稳定，现就值班事项通知如下：一是严格执行24小时值班制度；二是值班人员保持通讯畅通；三是遇重大情况立即向校领导报告。请各部门于{md}前报送值班名单。",
            "关于{开展校园环境整治|做好新学期开学准备|清理办公用房}工作的通知\n各部门：\n为营造良好工作环境，学校决定{开展校园环境整治|做好开学准备工作|清理办公用房}，请各部门按要求落实，学校将组织检查。",
        ],
        "en": [
            "Notice to All Staff: {Building Closure|Fire Drill|Parking Arrangements}\nPlease note that {the east building will be closed for repairs next week|a fire drill will take place on Wednesday morning|the staff car park will be resurfaced}. Your cooperation is appreciated.",
        ],
    },
    "report": {
        "cn": [
            "关于{校园安全隐患排查情况|义务教育均衡发展工作|课后服务开展情况}的报告\n县教育局：\n根据上级通知要求，我校认真开展了{安全隐患排查|均衡发展自查|课后服务}工作，现将有关情况报告如下：一、基本情况；二、主要做法；三、存在问题及整改措施。\n特此报告。",
        ],
        "en": [
            "Head Teacher's Report to Governors\nThis report covers pupil numbers, attendance, staffing and the progress of the school improvement priorities during the last term. Attendance has risen to 96 per cent. Two vacancies remain unfilled.",
        ],
    },
    "plan": {
        "cn": [
            "{school}{yr}—{yr2}学年度工作思路\n新学年，学校将围绕“{提质增效|规范管理|特色发展}”的总体目标，重点做好以下工作：（一）{深化课堂教学改革|强化教学过程管理}；（二）{加强班子和队伍建设|推进智慧校园建设}；（三）{提升后勤服务水平|加强家校合作}。各部门要细化措施，确保各项任务落到实处。",
        ],
        "en": [
            "Improvement Plan, {2024-25|2025-26}\nPriority 1: raise attainment in reading. Priority 2: improve attendance. Priority 3: strengthen leadership at middle level. Each priority has actions, owners, success criteria and review dates.",
        ],
    },
    "hiring": {
        "cn": [
            "{school}{yr}年招聘编外合同制教师简章\n因教学工作需要，现面向社会招聘{subject}、{subject}学科教师若干名。报名者须年龄在35周岁以下，普通话二级乙等以上。报名方式：将个人简历发送至学校人事科邮箱。经面试、试讲合格者，签订劳动合同。",
            "聘用审批表\n拟聘人员：{name}  拟聘岗位：{subject}教师\n考核情况：面试成绩{n}分，试讲良好\n人事科意见：拟同意聘用，报校长审批。",
        ],
        "en": [
            "Job Advertisement: {Art Teacher|Special Needs Coordinator|Finance Assistant}\nWe are looking for an enthusiastic and qualified person to join our team from September. Salary according to the national scale. To apply, send a letter and CV to the school. Interviews will be held in the week after the closing date. New staff receive an induction programme.",
        ],
    },
    "departure": {
        "cn": [
            "关于同意{name}同志解除聘用合同的批复\n{name}同志：\n你于{md}提交的解除聘用合同申请收悉。经研究，同意你与学校解除聘用合同，请于一个月内办理工作移交和离校手续。",
            "教职工调出审批表\n姓名：{name}  原任岗位：{subject}教师\n调往单位：{县实验小学|市教科院|邻县第二中学}\n调动原因：{夫妻分居|工作需要}\n人事科意见：同意调出，档案随转。",
        ],
        "en": [
            "Notice of Retirement\n{name_en} will retire from the school at the end of the summer term after {n} years of service. Pension papers have been submitted. A farewell gathering will be arranged by colleagues.",
        ],
    },
    "training": {
        "cn": [
            "{yr}年{暑期|寒假}全员{师德|业务}集中培训安排\n参加对象：全体专任教师\n培训地点：学校多功能厅\n培训内容：专家讲座、分组研讨、案例分析\n考勤要求：培训期间实行签到制度，缺勤者不予认定继续教育学时。",
        ],
        "en": [
            "Staff Training Record\nCourse: {First Aid at Work|Safeguarding Level 2|Using the New Gradebook}\nParticipant: {name_en}\nDuration: {n} hours. Certificate issued. This training counts towards the annual continuing professional development hours.",
        ],
    },
    "appraisal": {
        "cn": [
            "关于{yr}年度教职工考核等次评定的通知\n各部门：\n根据事业单位工作人员考核规定，本年度考核工作分为个人总结、述职、民主测评、考核委员会审定四个阶段。优秀等次比例不超过20%。请各部门于{md}前报送考核材料。",
            "班主任工作量化考评表\n班主任：{name}  班级：{n}班\n常规管理得分：{n}  家校沟通得分：{n}  综合评定：{优秀|良好}\n考评人：{name2}",
        ],
        "en": [
            "Teacher Evaluation Summary\nTeacher: {name_en}\nLesson observations: two, both rated good. Pupil outcomes met targets. Targets for next year agreed in the review meeting. Overall performance: {meets expectations|exceeds expectations}.",
        ],
    },
    "leave": {
        "cn": [
            "请假条\n校领导：\n本人因{母亲住院需陪护|孩子生病|参加亲属婚礼}，需请假{n}天，从{md}开始，所任课程已与同组老师协调代课，恳请批准。\n请假人：{name}",
        ],
        "en": [
            "Request for Leave of Absence\nI would like to request {n} days of {unpaid leave|sick leave|personal leave} because of {a family emergency|a medical operation|moving house}. My lessons have been covered by a colleague. Kindly approve.\nSigned: {name_en}",
        ],
    },
    "budget": {
        "cn": [
            "关于报送{yr}年部门预算的报告\n县财政局、县教育局：\n我校{yr}年部门预算已按要求编制完成。收入总计{amount}万元，其中一般公共预算拨款{amount}万元；支出总计{amount}万元，其中工资福利支出、商品和服务支出分别列示。请予审核。",
        ],
        "en": [
            "Budget Proposal for the Science Department\nRequested allocation: {amount_en} for consumables, {amount_en} for equipment replacement. The proposal is within the spending limit set by the finance committee and will be reviewed at the budget meeting.",
        ],
    },
    "voucher": {
        "cn": [
            "报销单据粘贴单\n单据张数：{n}张\n报销事项：{教研活动餐费|学生竞赛交通费|办公耗材}\n金额（大写）：{贰仟壹佰伍拾元整|玖仟捌佰元整}\n经手人：{name}  证明人：{name2}  财务审核：已核",
            "付款凭单\n收款单位：{新华书店|顺达运输公司|明光文具店}\n付款事由：{购买图书|学生外出交通|办公用品}\n付款金额：{amount}元\n支付方式：公务卡  经办：{name}",
        ],
        "en": [
            "Reimbursement Request\nStaff member: {name_en}\nExpenses: taxi fares and a hotel night for the regional conference, total {amount_en}. Original invoices attached. Please reimburse to my salary account.",
        ],
    },
    "contract": {
        "cn": [
            "{校服采购|校车租用|空调维保}合同书\n甲方（采购人）：{school}\n乙方（供应商）：{宏达服饰有限公司|安顺客运公司|凉风制冷工程部}\n双方依据《民法典》有关规定，经平等协商，签订本合同。合同总价{amount}元，乙方应于{md}前履行完毕，逾期按日支付违约金。争议由甲方所在地法院管辖。",
        ],
        "en": [
            "Agreement for {School Bus Hire|Catering Services|Cleaning Services}\nThis agreement is entered into between the School and {CityCoach Ltd|Fresh Meals Co.|Spotless Ltd}. The provider shall deliver the services described in Schedule 1 for a fee of {amount_en}. Termination requires three months' written notice by either party.",
        ],
    },
    "fee": {
        "cn": [
            "关于收取{课后服务费|伙食费|教材费}的通知\n各位家长：\n经县物价局核准，本学期{课后服务费|伙食费|教材费}按每生{amount}元收取，请于{md}前通过学校缴费平台缴纳，学校统一开具票据。家庭经济困难学生可申请减免。",
        ],
        "en": [
            "Fee Reminder\nDear Parents, the boarding fee of {amount_en} for next term is now due. Payment can be made by bank transfer. Families experiencing hardship may apply for a fee waiver from the school office.",
        ],
    },
    "financial_report": {
        "cn": [
            "{yr}年第{一|二|三|四}季度财务分析\n本季度学校经费收入{amount}元，经费支出{amount}元，预算执行率{n}0%。从支出结构看，人员经费占比较高，公用经费支出控制较好。附：收入支出决算表、资产负债表。",
        ],
        "en": [
            "Annual Financial Report\nThe statement of financial position shows net assets of {amount_en} at the year end. Income fell slightly, while expenditure on staff rose. The auditors issued an unqualified opinion on the accounts.",
        ],
    },
    "purchase": {
        "cn": [
            "{item}政府采购项目验收报告\n项目名称：{item}采购\n中标供应商：{恒信科技公司|启明教育装备公司}\n验收结论：货物数量、规格、质量符合采购文件要求，安装调试完毕，同意验收。\n验收小组成员：{name}、{name2}",
            "关于购置{item}的申请\n学校领导：\n因教学需要，{生物实验室|录播教室|行政办公室}拟购置{item}{n}台，预计费用{amount}元，采用询价方式确定供应商。妥否，请批示。",
        ],
        "en": [
            "Goods Received and Acceptance Note\nSupplier: {EduTech Supplies|ClassRight Ltd}\nOrder: {n} {item_en}\nAll items were delivered, inspected and found to match the purchase order. Accepted by the ICT technician.",
        ],
    },
    "transfer": {
        "cn": [
            "关于将{item}调剂至{校区分部|附属小学}使用的申请\n因{新校区启用|办学规模调整}，拟将本部闲置的{item}{n}台调剂至{校区分部|附属小学}使用，资产账目同步变更，请资产管理处办理调拨手续。",
        ],
        "en": [
            "Equipment Reallocation Record\n{n} {item_en} have been moved from the {main campus|old building} to the {junior campus|new block}. The asset register has been updated with the new location and custodian.",
        ],
    },
    "disposal": {
        "cn": [
            "{yr}年度资产处置{清册|报告}\n经资产管理小组技术鉴定，下列{item}等资产已无使用价值，申请按规定程序报废。拟处置资产{n}项，账面原值合计{amount}元。处置方式：交由有资质的回收公司统一回收。",
        ],
        "en": [
            "Scrapping Record\nThe following equipment was decommissioned and collected by a licensed recycler: {n} {item_en}. All data storage was destroyed before collection. The items have been removed from the asset register.",
        ],
    },
    "stocktaking": {
        "cn": [
            "{图书馆|实验室|多媒体教室}财产清点记录\n清点日期：{md}\n清点结果：登记{item}{n}台，实际在用{n}台，报修{n}台，无缺失。\n清点人：{name}  复核人：{name2}",
            "关于开展{yr}年度国有资产清查工作的通知\n各部门：\n根据上级要求，学校将对全部国有资产进行全面清查，核实资产数量和使用状况，做到账卡物相符。请各部门指定资产管理员配合。",
        ],
        "en": [
            "Inventory Count Sheet\nRoom: {Lab 2|Library|Music Room}\nCounted by: {name_en}\nItems on register: {n}0; items found: {n}0; discrepancies: none. The count was checked against the asset register and signed off.",
        ],
    },
    "event_plan": {
        "cn": [
            "{第{n}届校园{体育节|英语节|艺术周}|“{我和我的祖国|阳光少年}”主题教育活动}实施方案\n活动目的：{增强学生体质|激发学习兴趣|培养爱国情怀}。\n活动安排：第一阶段宣传发动，第二阶段班级初赛，第三阶段全校展示。\n工作要求：各班高度重视，精心组织，确保活动安全有序。",
        ],
        "en": [
            "Planning Document: {International Day|Charity Fun Run|Year 9 Trip}\nDate, venue, timings and staffing are set out below. Each class will prepare a stall or a performance. Risk assessment and parental consent forms must be completed in advance.",
        ],
    },
    "summary": {
        "cn": [
            "“{学习雷锋好榜样|缤纷社团|安全教育周}”活动情况总结\n{md}至今，学校开展了{学习雷锋好榜样|缤纷社团|安全教育周}系列活动。各班精心准备，共收到作品{n}0余件，评出优秀班级{n}个。活动达到了预期目的，也暴露出宣传发动不够等问题。",
        ],
        "en": [
            "Report on the {Charity Fun Run|Book Week|Sports Festival}\nThe day went well, with excellent participation from pupils and parents. We raised {amount_en} for charity. Thanks go to the volunteers. Suggestions for improvement have been collected from staff.",
        ],
    },
    "ceremony": {
        "cn": [
            "{新生开学典礼|毕业生欢送会暨毕业典礼|教师节表彰大会}流程\n1. 主持人宣布{典礼|大会}开始\n2. 升国旗、奏国歌\n3. {新生代表|毕业生代表}发言\n4. 校长讲话\n5. 为{优秀教师|优秀毕业生}颁发证书\n6. 礼成",
        ],
        "en": [
            "Order of Proceedings: {Prize-Giving Ceremony|Graduation Day|Founders' Day}\nProcession of staff, welcome by the Chair of Governors, guest speaker, presentation of prizes, and the school song. Dress code: formal.",
        ],
    },
    "competition": {
        "cn": [
            "{yr}年{中小学生{田径运动会|象棋比赛}|青少年科技创新大赛|朗诵大赛}成绩公布\n经激烈角逐，{name}获得第一名，{name2}获得第二名。我校代表队获团体{一等奖|二等奖}。感谢各位教练员的辛勤付出。",
        ],
        "en": [
            "{Regional Chess Championship|Robotics Challenge|Poetry Recitation Contest} — Entry Form and Rules\nTeams of up to four pupils may enter. Each round is timed and scored by a panel of judges. Winners receive trophies and medals.",
        ],
    },
    "photo": {
        "cn": [
            "数码照片归档登记\n组号：{n}  张数：{n}\n题名：{校运会入场式|国旗下讲话|家长开放日}\n人物：{name}（左一）、{name2}（右二）\n摄影：{name}\n备注：原始图片已存档",
        ],
        "en": [
            "Photo Archive Entry\nAlbum: {Graduation Day|Sports Festival|Art Exhibition}\n{n} images. Caption: pupils and staff at the {closing parade|prize table|gallery}. Photographer credited in the file metadata.",
        ],
    },
}

KIND = {
    "regulation": "doc", "minutes": "form", "notice": "doc", "report": "doc", "plan": "doc",
    "hiring": "doc", "departure": "doc", "training": "doc", "appraisal": "doc", "leave": "form",
    "budget": "doc", "voucher": "form", "contract": "form", "fee": "doc", "financial_report": "doc",
    "purchase": "form", "transfer": "doc", "disposal": "doc", "stocktaking": "form",
    "event_plan": "doc", "summary": "doc", "ceremony": "form", "competition": "doc", "photo": "form",
}
